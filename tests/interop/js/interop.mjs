// An independent implementation for the interop tests: Digital Bazaar's vc / Data Integrity
// libraries, driven over stdin/stdout one JSON request per line (one process per test module).
//
//   node interop.mjs CONTEXTS.json
//   {"op": "sign", "credential": {...}, "suite": "eddsa-rdfc-2022" | "eddsa-jcs-2022" | "Ed25519Signature2020"}
//       -> {"ok": true, "credential": {...signed by a fresh did:key...}}
//   {"op": "verify", "credential": {...}, "documents": {"did:web:...": {...DID document...}}}
//       -> {"ok": true, "verified": true|false, "error": "..."}
//
// Offline: the document loader serves only the contexts named in CONTEXTS.json (the project's
// pinned copies, passed by the test), did:key documents derived from the key itself, and the
// documents a request brings; any other URL is an error. Status is not judged here (the
// credential's status list is the verifier's business, not the proof's).
import {readFileSync} from 'node:fs';
import {createInterface} from 'node:readline';
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

function didKeyDocument(did) {
  const fingerprint = did.slice('did:key:'.length);
  const id = `${did}#${fingerprint}`;
  const method = {id, type: 'Multikey', controller: did, publicKeyMultibase: fingerprint};
  return {
    '@context': [DID_V1, MULTIKEY_V1],
    id: did,
    verificationMethod: [method],
    assertionMethod: [id],
    authentication: [id]
  };
}

function loaderFor(documents) {
  return async url => {
    if(contexts[url]) {
      return {contextUrl: null, documentUrl: url, document: contexts[url]};
    }
    const [base, fragment] = url.split('#');
    let document = documents[base];
    if(!document && base.startsWith('did:key:')) {
      document = didKeyDocument(base);
    }
    if(!document) {
      throw new Error(`offline document loader: ${url} is not available`);
    }
    if(fragment !== undefined) {
      const method = (document.verificationMethod || []).find(
        vm => vm.id === url || vm.id === `#${fragment}`);
      if(!method) {
        throw new Error(`offline document loader: no verification method ${url}`);
      }
      const context = method.type === 'Ed25519VerificationKey2020' ? ED25519_2020_V1 : MULTIKEY_V1;
      document = {'@context': context, ...method, id: url, controller: method.controller || base};
    }
    return {contextUrl: null, documentUrl: url, document};
  };
}

const DATA_INTEGRITY = {
  'eddsa-rdfc-2022': () => eddsaRdfc2022,
  'eddsa-jcs-2022': () => createSignCryptosuite()
};

async function sign({credential, suite}) {
  if(DATA_INTEGRITY[suite]) {
    const key = await Ed25519Multikey.generate();
    const did = `did:key:${key.publicKeyMultibase}`;
    key.controller = did;
    key.id = `${did}#${key.publicKeyMultibase}`;
    credential = {...credential, issuer: did};
    const proof = new DataIntegrityProof({signer: key.signer(), cryptosuite: DATA_INTEGRITY[suite]()});
    return vc.issue({credential, suite: proof, documentLoader: loaderFor({})});
  }
  if(suite === 'Ed25519Signature2020') {
    const key = await Ed25519VerificationKey2020.generate();
    const did = `did:key:${key.publicKeyMultibase}`;
    key.controller = did;
    key.id = `${did}#${key.publicKeyMultibase}`;
    credential = {...credential, issuer: did};
    return vc.issue({credential, suite: new Ed25519Signature2020({key}), documentLoader: loaderFor({})});
  }
  throw new Error(`the interop signer does not do ${suite}`);
}

async function verify({credential, documents = {}}) {
  const result = await vc.verifyCredential({
    credential,
    suite: [
      new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
      new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()}),
      new Ed25519Signature2020()
    ],
    documentLoader: loaderFor(documents),
    checkStatus: async () => ({verified: true})
  });
  const errors = [];
  if(result.error) {
    errors.push(...(result.error.errors || [result.error]).map(e => e.message || String(e)));
  }
  for(const item of result.results || []) {
    if(!item.verified && item.error) {
      errors.push(item.error.message || String(item.error));
    }
  }
  return {verified: result.verified === true, error: errors.join('; ')};
}

const lines = createInterface({input: process.stdin});
for await (const line of lines) {
  let answer;
  try {
    const request = JSON.parse(line);
    if(request.op === 'sign') {
      answer = {ok: true, credential: await sign(request)};
    } else if(request.op === 'verify') {
      answer = {ok: true, ...await verify(request)};
    } else {
      answer = {ok: false, error: `unknown op ${request.op}`};
    }
  } catch(e) {
    answer = {ok: false, error: e.stack || String(e)};
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
}
