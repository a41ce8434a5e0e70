// Guest side of test/uml/checker-emails.test.ts: the emails of a real server with two
// TCP_CHECKs, keepalived 2.2.7 and keepalived-ts on the same configuration, with and without
// `no_checker_emails`. The two ports the checkers connect to are closed one after the other and
// opened again; every message reaching an SMTP sink is recorded as "subject | body" in
// $UML_OUT/mails.json under "<impl> <variant>".
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { diagnose, OUT, settleOn, sh, sleep, start } from './lib.mjs';

setTimeout(() => diagnose('the scenario is still running after 200 s'), 200_000).unref();
process.on('exit', (code) => { if (code !== 0) diagnose(`the scenario exits ${code}`); });

const CLI = join(process.cwd(), 'dist/src/cli.js');
const RUN = '/run/kts-mails';
const RS = '10.9.3.1';
sh(`mkdir -p ${RUN} && ip link add kmail0 type dummy && ip addr add ${RS}/24 dev kmail0 && ip link set kmail0 up`);

const conf = (quiet) => `global_defs {
  router_id ktsmail
  notification_email {
    ops@example.test
  }
  notification_email_from director@example.test
  smtp_server 127.0.0.1 2525
  smtp_connect_timeout 5
${quiet ? '  no_checker_emails\n' : ''}}
virtual_server 10.9.0.1 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server ${RS} 80 {
    TCP_CHECK {
      connect_port 8081
      connect_timeout 1
      retry 0
    }
    TCP_CHECK {
      connect_port 8082
      connect_timeout 1
      retry 0
    }
  }
}
`;

/** A port that accepts connections while open. */
function port(n) {
  let server;
  return {
    open: () => new Promise((res) => { server = createServer((s) => s.destroy()).listen(n, RS, res); }),
    close: () => new Promise((res) => server.close(() => res())),
  };
}
const p1 = port(8081);
const p2 = port(8082);
const present = () => sh('ipvsadm -Ln').includes(`${RS}:80`);
const stopped = (p) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.on('exit', r)));

/** the messages in the sink's file, as "Subject | body" */
function mails(file) {
  let text = '';
  try { text = sh(`cat ${file}`); } catch { return []; }
  return text.split('\n').filter(Boolean).map((l) => {
    const data = JSON.parse(l).data ?? '';
    const [head, ...rest] = data.split('\n\n');
    const subject = /^Subject: (.*)$/m.exec(head)?.[1] ?? '?';
    return `${subject} | ${rest.join('\n\n').trim()}`;
  });
}

async function scenario(impl, quiet) {
  const name = `${impl}-${quiet ? 'quiet' : 'default'}`;
  const file = `${RUN}/${name}.mails`;
  const sink = start(`${name}-sink`, process.execPath, ['test/netns/smtp-sink.mjs', '2525', file]);
  await sink.ready;
  writeFileSync(`${RUN}/${name}.conf`, conf(quiet));
  await p1.open();
  await p2.open();
  const d = impl === 'keepalived'
    ? start(name, 'keepalived', ['-n', '-l', '-D', '-C', '-f', `${RUN}/${name}.conf`, '-p', `${RUN}/k.pid`, '-c', `${RUN}/c.pid`])
    : start(name, process.execPath, [CLI, '-n', '-l', '-C', '-f', `${RUN}/${name}.conf`, '-p', `${RUN}/kts.pid`]);
  const out = { up: await settleOn(present, (v) => v, 20_000) };
  await sleep(2500);
  await p1.close();
  out.removed = await settleOn(present, (v) => !v, 10_000) === false;
  await sleep(2500);
  await p2.close();
  await sleep(3000);
  await p1.open();
  await sleep(3000);
  await p2.open();
  out.back = await settleOn(present, (v) => v, 10_000);
  // the last email may still be on its way
  await sleep(2500);
  d.kill('SIGTERM');
  await stopped(d);
  await p1.close();
  await p2.close();
  sink.kill('SIGTERM');
  await stopped(sink);
  sh('ipvsadm -C');
  out.mails = mails(file);
  return out;
}

const record = {};
for (const quiet of [false, true]) {
  for (const impl of ['keepalived', 'keepalived-ts']) {
    record[`${impl} ${quiet ? 'no_checker_emails' : 'default'}`] = await scenario(impl, quiet);
    writeFileSync(join(OUT, 'mails.json'), JSON.stringify(record, null, 1));
  }
}
writeFileSync(join(OUT, 'done'), 'ok\n');
