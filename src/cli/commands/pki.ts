/** `alcor pki ca` and `alcor pki cert`: the southbound's CA and certificates (see src/southbound/pki.ts). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { natsAuthorization } from '../../southbound/nats-permissions.js';
import { makeCa, makeCertificate } from '../../southbound/pki.js';
import { commandGroup, numberOption, type RegisterCommand } from '../command-group.js';

const list = (value: string): string[] => value.split(',').map((s) => s.trim()).filter(Boolean);

/** Registers `alcor pki`. */
export const registerPki: RegisterCommand = (program: Command) => {
  const pki = commandGroup(program, 'pki', 'certificates for the southbound\'s mutual TLS (needs the openssl binary)');
  pki
    .command('ca')
    .description('make a CA (<dir>/ca.crt, <dir>/ca.key); keep ca.key off the hosts')
    .requiredOption('--dir <dir>', 'directory of the CA')
    .option('--name <cn>', 'subject CN of the CA', 'alcor-southbound-ca')
    .option('--days <n>', 'validity in days', numberOption('--days'), 3650)
    .action((o: { dir: string; name: string; days: number }) => {
      if (existsSync(join(o.dir, 'ca.key'))) throw new Error(`${join(o.dir, 'ca.key')} exists; refusing to replace a CA`);
      const files = makeCa(o.dir, o.name, o.days);
      process.stdout.write(`${files.cert}\n${files.key}\n`);
    });
  pki
    .command('cert <name>')
    .description('make a certificate signed by <dir>/ca.crt: for a host, <name> is its --host-id; for the controller, list the names agents dial in --dns/--ip')
    .requiredOption('--dir <dir>', 'directory of the CA; the certificate is written there as <name>.crt and <name>.key unless --out is given')
    .option('--out <dir>', 'directory for the certificate and key')
    .option('--dns <names>', 'more DNS names, comma separated', list, [] as string[])
    .option('--ip <addresses>', 'IP addresses, comma separated (on a host certificate: the only datapath addresses it may register)', list, [] as string[])
    .option('--days <n>', 'validity in days', numberOption('--days'), 825)
    .action((name: string, o: { dir: string; out?: string; dns: string[]; ip: string[]; days: number }) => {
      const ca = { cert: join(o.dir, 'ca.crt'), key: join(o.dir, 'ca.key') };
      const files = makeCertificate(o.out ?? o.dir, ca, { name, dns: o.dns, ips: o.ip, days: o.days });
      process.stdout.write(`${files.cert}\n${files.key}\n`);
    });
  pki
    .command('nats-config')
    .description('print the nats-server authorization block: the controller and each host as a TLS-mapped user with its subject permissions')
    .requiredOption('--hosts <ids>', 'host ids, comma separated (one user per host certificate)', list)
    .option('--controller <name>', 'a DNS name of the controller certificate', 'alcor-controller')
    .option('--prefix <token>', 'first subject token of the bus', 'alcor')
    .option('--stream <name>', 'JetStream stream of the goal states', 'ALCOR_GS')
    .action((o: { hosts: string[]; controller: string; prefix: string; stream: string }) => {
      process.stdout.write(natsAuthorization({ hosts: o.hosts, controller: o.controller, prefix: o.prefix, stream: o.stream }));
    });
};
