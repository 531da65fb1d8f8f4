/* global process, console */
// One-shot start-up step of docker-compose.yml: creates the deployment's Ed25519 JWT signing key
// (PKCS8 PEM, mode 0600) unless it already exists, so `docker compose up` needs no manual step and
// every role reads the same key through JWT_PRIVATE_KEY_FILE. Production deployments should
// provide their own key (a secret) instead. With a second argument it also creates the
// key-encryption key file of personal data (PRIVACY_KEK_FILE: {"active", "keys"}; README, "Privacy").
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const file = process.argv[2] ?? '/app/keys/jwt-private.pem';
const { privateKey } = generateKeyPairSync('ed25519');
try {
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { flag: 'wx', mode: 0o600 });
  console.log(`jwt key: created ${file}`);
} catch (err) {
  if (err?.code !== 'EEXIST') throw err;
  console.log(`jwt key: ${file} exists, kept`);
}

const kekFile = process.argv[3];
if (kekFile) {
  const kid = `kek-${new Date().toISOString().slice(0, 10)}`;
  try {
    writeFileSync(kekFile, `${JSON.stringify({ active: kid, keys: { [kid]: randomBytes(32).toString('base64') } })}\n`, { flag: 'wx', mode: 0o600 });
    console.log(`key-encryption key: created ${kekFile}`);
  } catch (err) {
    if (err?.code !== 'EEXIST') throw err;
    console.log(`key-encryption key: ${kekFile} exists, kept`);
  }
}
