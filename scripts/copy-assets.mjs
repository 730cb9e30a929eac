// tsc compiles TypeScript only; the feed's viewer page and JSON Schema travel beside the compiled server.
import { cpSync, mkdirSync } from 'node:fs';

mkdirSync('dist/feed/schema', { recursive: true });
cpSync('src/feed/viewer.html', 'dist/feed/viewer.html');
cpSync('src/feed/schema/feed.schema.json', 'dist/feed/schema/feed.schema.json');
