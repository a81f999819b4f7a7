// @parse/node-apn, measured by `make bench` (W2) against the provider simulator.
// Usage: node node_apn_driver.mjs '<json config>'; prints one JSON line with the per-repetition
// rates, CPU rates, run-queue shares and peak RSS, like bench/drivers/pushgate.py.
// One apn.Provider is one HTTP/2 connection; the in-flight limit is a pool of that many senders,
// each awaiting provider.send() for one device before taking the next.

import fs from "node:fs";
import apn from "@parse/node-apn";

const config = JSON.parse(process.argv[2]);

function runQueueWaitS() {
  try {
    return Number(fs.readFileSync("/proc/self/schedstat", "utf8").split(" ")[1]) / 1e9;
  } catch {
    return 0;
  }
}

const deviceToken = (n) => n.toString(16).padStart(64, "0");

const url = new URL(config.url);
const provider = new apn.Provider({
  token: { key: Buffer.from(config.apns_key_pem), keyId: config.key_id, teamId: config.team_id },
  address: url.hostname,
  port: Number(url.port),
  ca: fs.readFileSync(config.ca_path),
  production: true,
});

const body = JSON.parse(config.apns_body);

function notification() {
  const note = new apn.Notification();
  note.rawPayload = body;
  note.topic = config.bundle_id;
  note.pushType = "alert";
  return note;
}

async function sendAll(count) {
  let next = 0;
  let delivered = 0;
  const sender = async () => {
    while (next < count) {
      const number = next++;
      const result = await provider.send(notification(), deviceToken(number));
      delivered += result.sent.length;
    }
  };
  await Promise.all(Array.from({ length: Math.min(config.in_flight, count) }, sender));
  return delivered;
}

const rates = [];
const cpuRates = [];
const runQueueShares = [];
if ((await sendAll(1)) !== 1) throw new Error("node-apn warm-up failed");
for (let repetition = 0; repetition < config.repetitions; repetition += 1) {
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const waited = runQueueWaitS();
  const delivered = await sendAll(config.count);
  const elapsed = Number(process.hrtime.bigint() - wall) / 1e9;
  const used = process.cpuUsage(cpu);
  if (delivered !== config.count) throw new Error(`node-apn delivered ${delivered} of ${config.count}`);
  rates.push(config.count / elapsed);
  cpuRates.push(config.count / ((used.user + used.system) / 1e6));
  runQueueShares.push((runQueueWaitS() - waited) / elapsed);
}
provider.shutdown();
// VmHWM, not resourceUsage().maxRSS: Linux carries the latter over from the parent across exec.
const maxRssMb = Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync("/proc/self/status", "utf8"))[1]) / 1024;
process.stdout.write(`${JSON.stringify({ rates, cpu_rates: cpuRates, run_queue_shares: runQueueShares, max_rss_mb: maxRssMb })}\n`);
process.exit(0);
