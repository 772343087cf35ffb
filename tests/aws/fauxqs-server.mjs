// Starts the fauxqs S3/SQS emulator on 127.0.0.1 (its CLI binds 0.0.0.0) on
// an ephemeral port and prints "PORT <n>" on stdout once it listens.
// Used by barrage's AWS integration tests; exits when stdin closes or on
// SIGTERM/SIGINT, so a crashed test never leaves it running.
import { buildApp } from "fauxqs";

const app = buildApp({ logger: false, defaultRegion: "us-east-1" });
const address = await app.listen({ port: 0, host: "127.0.0.1" });
process.stdout.write(`PORT ${new URL(address).port}\n`);

const stop = async () => {
  await app.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
process.stdin.on("end", stop);
process.stdin.resume();
