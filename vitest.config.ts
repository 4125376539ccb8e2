import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

export default defineConfig({
  // The console's component tests (web/**) are TSX with the automatic JSX runtime.
  plugins: [react()],
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/**/*.test.ts', 'web/**/*.test.tsx'],
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // A skipped suite must be a decision in code, never an accident of the environment.
    allowOnly: false,
    passWithNoTests: false,
    // GitHub's workflow parser imports its JSON schema without an import attribute, which Node's ESM
    // loader refuses; bundling it through Vite resolves the JSON (test/deploy/manifests.test.ts).
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
