// tsc compiles TypeScript only; the feed's viewer page and JSON Schema, and the export's shell and Python files, travel beside the compiled code.
import { cpSync, mkdirSync } from 'node:fs';

mkdirSync('dist/feed/schema', { recursive: true });
cpSync('src/feed/viewer.html', 'dist/feed/viewer.html');
cpSync('src/feed/schema/feed.schema.json', 'dist/feed/schema/feed.schema.json');
// The exported lab's shell helpers and python apps (src/export/assets.ts reads them).
cpSync('src/export/assets', 'dist/export/assets', { recursive: true });
