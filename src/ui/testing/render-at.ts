/**
 * ink-testing-library's stdout is always 100 columns wide, and ink clips text
 * to the terminal width; wider layouts need a wider stand-in terminal.
 */
import type { ReactElement } from 'react';
import { render } from 'ink-testing-library';

export function renderAt(el: ReactElement, cols: number) {
  const app = render(el);
  Object.defineProperty(app.stdout, 'columns', { get: () => cols, configurable: true });
  app.rerender(el);
  return app;
}
