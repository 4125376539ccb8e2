import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from '@tanstack/react-router';
import { setNonce } from 'get-nonce';
import { restoreSession } from './auth/session';
import { queryClient } from './lib/query';
import { router } from './router';
import './styles.css';

// The server's CSP allows inline <style> only with this response's nonce; the dialogs' scroll lock
// (react-remove-scroll via Radix) injects one and takes the nonce from get-nonce.
const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content;
if (nonce !== undefined && nonce !== '') setNonce(nonce);

const root = createRoot(document.getElementById('root')!);

// A reload keeps no token: the refresh cookie restores the session before the first route renders.
void restoreSession().finally(() => {
  root.render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </StrictMode>,
  );
});
