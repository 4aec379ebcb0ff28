#!/usr/bin/env node
// Entry point for the installed CLI. Node >= 24 strips the TypeScript types of src/ at load time.
import '../src/cli.ts';
