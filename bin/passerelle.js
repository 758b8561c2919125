#!/usr/bin/env node
// Runs the TypeScript CLI without a build step (tsx), so `npx passerelle` works from a fresh clone.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
