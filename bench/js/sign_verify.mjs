// The JavaScript reference of bench/sign_verify.py: Digital Bazaar's @digitalbazaar/vc with the
// eddsa-rdfc-2022, eddsa-jcs-2022 and Ed25519Signature2020 suites, signing and verifying the same
// credential as the Python bench, offline over the project's pinned contexts.
//
//   node sign_verify.mjs CONTEXTS.json CREDENTIAL.json SECONDS
//   -> one JSON line: {"eddsa-rdfc-2022": {"sign": ops/s, "verify": ops/s}, ...}
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {createSignCryptosuite, createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from '@digitalbazaar/ed25519-verification-key-2020';

const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';
const ED25519_2020_V1 = 'https://w3id.org/security/suites/ed25519-2020/v1';
const DID_V1 = 'https://www.w3.org/ns/did/v1';
const contexts = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const credential = JSON.parse(readFileSync(process.argv[3], 'utf8'));
const seconds = Number(process.argv[4] || '2');

function loaderFor(method, context) {
  const did = method.controller;
  const vm = {id: method.id, type: method.type, controller: did, publicKeyMultibase: method.publicKeyMultibase};
  const didDocument = {
    '@context': [DID_V1, context], id: did, verificationMethod: [vm],
    assertionMethod: [method.id], authentication: [method.id]
  };
  return async url => {
    if(contexts[url]) {
      return {contextUrl: null, documentUrl: url, document: contexts[url]};
    }
    if(url === did) {
      return {contextUrl: null, documentUrl: url, document: didDocument};
    }
    if(url === method.id) {
      return {contextUrl: null, documentUrl: url, document: {'@context': context, ...vm}};
    }
    throw new Error(`offline document loader: ${url} is not available`);
  };
}

async function rate(operation) {
  await operation();  // warm
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while((elapsed = performance.now() - start) < seconds * 1000) {
    await operation();
    count++;
  }
  return count / (elapsed / 1000);
}

async function bench(name, key, context, signSuite, verifySuite) {
  const did = key.controller;
  const documentLoader = loaderFor({id: key.id, type: key.type, controller: did,
    publicKeyMultibase: key.publicKeyMultibase}, context);
  const document = {...credential, issuer: {...credential.issuer, id: did}};
  if(name === 'Ed25519Signature2020') {
    document['@context'] = [...document['@context'], ED25519_2020_V1];
  }
  const issue = () => vc.issue({credential: structuredClone(document), suite: signSuite(),
    documentLoader});
  const signed = await issue();
  const check = async () => {
    const result = await vc.verifyCredential({credential: signed, suite: verifySuite(), documentLoader,
      checkStatus: async () => ({verified: true})});
    if(!result.verified) {
      throw new Error(`${name}: the reference did not verify its own credential`);
    }
  };
  return {sign: await rate(issue), verify: await rate(check)};
}

const multikey = await Ed25519Multikey.generate();
multikey.controller = `did:key:${multikey.publicKeyMultibase}`;
multikey.id = `${multikey.controller}#${multikey.publicKeyMultibase}`;
const key2020 = await Ed25519VerificationKey2020.generate();
key2020.controller = `did:key:${key2020.publicKeyMultibase}`;
key2020.id = `${key2020.controller}#${key2020.publicKeyMultibase}`;
multikey.type = 'Multikey';
key2020.type = 'Ed25519VerificationKey2020';

const results = {};
results['eddsa-rdfc-2022'] = await bench('eddsa-rdfc-2022', multikey, MULTIKEY_V1,
  () => new DataIntegrityProof({signer: multikey.signer(), cryptosuite: eddsaRdfc2022}),
  () => new DataIntegrityProof({cryptosuite: eddsaRdfc2022}));
results['eddsa-jcs-2022'] = await bench('eddsa-jcs-2022', multikey, MULTIKEY_V1,
  () => new DataIntegrityProof({signer: multikey.signer(), cryptosuite: createSignCryptosuite()}),
  () => new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()}));
results['Ed25519Signature2020'] = await bench('Ed25519Signature2020', key2020, ED25519_2020_V1,
  () => new Ed25519Signature2020({key: key2020}),
  () => new Ed25519Signature2020());
process.stdout.write(JSON.stringify(results) + '\n');
