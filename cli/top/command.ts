// `tapline top`: in progress (the live view lands in the next commit).
export const TOP_USAGE = 'usage: tapline top --nats URL [options]\n';
export async function runTop(_args: string[]): Promise<number> {
  process.stderr.write('tapline top: not implemented yet\n');
  return 1;
}
