// A stand-in for journald's stdout socket (/run/systemd/journal/stdout): a unix stream listener
// that keeps what each connection sends (src/io/journal-stream.ts's tests).
import { createServer, type Server, type Socket } from 'node:net';

export async function fakeJournald(path: string): Promise<{ server: Server; received: () => string[] }> {
  const got: { text: string }[] = [];
  const server = createServer((c: Socket) => {
    const one = { text: '' };
    got.push(one);
    c.setEncoding('latin1');
    c.on('data', (d: string) => {
      one.text += d;
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  return { server, received: () => got.map((g) => g.text) };
}
