// Copies non-TypeScript runtime assets (SQL migrations) next to the compiled code.
import { cpSync } from 'node:fs';

cpSync('src/db/migrations', 'dist/src/db/migrations', { recursive: true });
