import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from '@tanstack/react-router';
import { restoreSession } from './auth/session';
import { queryClient } from './lib/query';
import { router } from './router';
import './styles.css';

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
