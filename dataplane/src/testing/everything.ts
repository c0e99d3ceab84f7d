import path from 'node:path';

/**
 * `@modelcontextprotocol/server-everything` (a devDependency): the MCP reference server that
 * exercises every feature, run over stdio with this Node. Returns the Registry's command and args.
 */
export function everythingServer(): { command: string; args: string[] } {
  const pkg = require.resolve('@modelcontextprotocol/server-everything/package.json');
  return { command: process.execPath, args: [path.join(path.dirname(pkg), 'dist', 'index.js'), 'stdio'] };
}
