// Reads the agent config file and the environment, parses both with their zod schemas, and checks
// what a schema cannot: that the two ways of giving credentials are not both used, that server
// URLs carry no credentials, that the files the config names exist. Every problem names its
// field (`export.stream: ...`, `env NODE_NAME: ...`).
import { accessSync, constants, readFileSync, statSync } from 'node:fs';

import type { z } from 'zod';

import { AgentConfigError, ConfigFileError } from './errors.js';
import { AgentConfigSchema, AgentEnvSchema, type AgentConfig, type AgentEnv } from './schema.js';

export interface LoadedConfig {
  config: AgentConfig;
  env: AgentEnv;
}

function issuesOf(error: z.ZodError, prefix = ''): Array<{ field: string; text: string }> {
  return error.issues.map((i) => {
    const field = prefix + (i.path.length ? i.path.map(String).join('.') : '');
    let message = i.message;
    if (i.code === 'unrecognized_keys') {
      message = `unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      return { field: field || '(top level)', text: `${field || '(top level)'}: ${message}` };
    }
    return { field: field || '(top level)', text: `${field || '(top level)'}: ${message}` };
  });
}

function refuse(problems: Array<{ field: string; text: string }>, cause?: unknown): never {
  const first = problems[0] ?? { field: '(top level)', text: 'invalid' };
  const message = problems.length === 1 ? first.text : `${first.text} (and ${problems.length - 1} more: ${problems.slice(1).map((p) => p.text).join('; ')})`;
  throw new AgentConfigError(message, first.field, problems.map((p) => p.text), cause === undefined ? undefined : { cause });
}

/** Parses a config object (already read); throws AgentConfigError naming the first bad field. */
export function parseAgentConfig(raw: unknown): AgentConfig {
  const r = AgentConfigSchema.safeParse(raw);
  if (!r.success) refuse(issuesOf(r.error), r.error);
  const problems = semanticProblems(r.data);
  if (problems.length) refuse(problems);
  return r.data;
}

export function parseAgentEnv(env: NodeJS.ProcessEnv): AgentEnv {
  const r = AgentEnvSchema.safeParse(env);
  if (!r.success) refuse(issuesOf(r.error, 'env '), r.error);
  return r.data;
}

function semanticProblems(c: AgentConfig): Array<{ field: string; text: string }> {
  const out: Array<{ field: string; text: string }> = [];
  const add = (field: string, text: string) => out.push({ field, text: `${field}: ${text}` });
  const x = c.export;
  x.servers.forEach((s, i) => {
    if (/^[a-z]+:\/\/[^/@]*@/.test(s)) add(`export.servers.${i}`, 'must not contain credentials (use export.credentialsFile or export.auth files)');
  });
  if (x.credentialsFile && x.auth) add('export.auth', 'give either export.credentialsFile or export.auth, not both');
  const spool = x.spool;
  if (spool?.diskBytes !== undefined && spool.dir === undefined) add('export.spool.diskBytes', 'needs export.spool.dir');
  return out;
}

/** Files the config names that must be readable now (credentials, TLS, the capture file). */
export function requiredFiles(c: AgentConfig): Array<{ field: string; path: string; optional?: boolean }> {
  const x = c.export;
  const files: Array<{ field: string; path: string; optional?: boolean }> = [];
  if (x.credentialsFile) files.push({ field: 'export.credentialsFile', path: x.credentialsFile });
  const a = x.auth;
  if (a?.method === 'userPassword') {
    files.push({ field: 'export.auth.usernameFile', path: a.usernameFile }, { field: 'export.auth.passwordFile', path: a.passwordFile });
  } else if (a?.method === 'token') files.push({ field: 'export.auth.tokenFile', path: a.tokenFile });
  else if (a?.method === 'nkey') files.push({ field: 'export.auth.seedFile', path: a.seedFile });
  if (x.tls) {
    files.push({ field: 'export.tls.certFile', path: x.tls.certFile }, { field: 'export.tls.keyFile', path: x.tls.keyFile });
    files.push({ field: 'export.tls.caFile', path: x.tls.caFile, optional: true });
  }
  if (c.capture.backend === 'file') files.push({ field: 'capture.path', path: c.capture.path });
  return files;
}

/** Checks that every file the config needs can be read; the message names the field and the path, never the content. */
export function checkFiles(c: AgentConfig): void {
  const problems: Array<{ field: string; text: string }> = [];
  for (const f of requiredFiles(c)) {
    try {
      if (!statSync(f.path).isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
      accessSync(f.path, constants.R_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (f.optional && code === 'ENOENT') continue;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'ENOTFILE' ? 'not a regular file' : `cannot read (${code})`;
      problems.push({ field: f.field, text: `${f.field}: ${why}: ${f.path}` });
    }
  }
  if (problems.length) refuse(problems);
}

/** Reads, parses and checks the config file and the environment. */
export function loadAgentConfig(path: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigFileError(`cannot read config file ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? String(err)}`, path, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigFileError(`config file ${path} is not JSON: ${err instanceof Error ? err.message : String(err)}`, path, { cause: err });
  }
  const config = parseAgentConfig(raw);
  const parsedEnv = parseAgentEnv(env);
  checkFiles(config);
  return { config, env: parsedEnv };
}
