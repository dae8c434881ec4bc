// An independent OpenID4VCI 1.0 wallet: the OpenID Foundation's oid4vc-ts client
// (@openid4vc/openid4vci), driven through the pre-authorized code flow against badge_issuer.
// Usage: node openid4vci_wallet.mjs '<openid-credential-offer://…>' [tx_code]
// Prints one JSON line: {"did": <the wallet's did:key>, "credentials": [...], "configuration": id}.
import crypto from 'node:crypto';
import {clientAuthenticationAnonymous} from '@openid4vc/oauth2';
import {Openid4vciClient} from '@openid4vc/openid4vci';
import {setGlobalConfig} from '@openid4vc/utils';

// the test server is plain http on 127.0.0.1; production issuers are https only
setGlobalConfig({allowInsecureUrls: true});

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
function base58btc(bytes) {
  let n = BigInt('0x' + Buffer.from(bytes).toString('hex'));
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    out = '1' + out;
  }
  return out;
}

const {publicKey, privateKey} = crypto.generateKeyPairSync('ed25519');
const publicJwk = publicKey.export({format: 'jwk'});
const raw = Buffer.from(publicJwk.x, 'base64url');
const fingerprint = 'z' + base58btc(Buffer.concat([Buffer.from([0xed, 0x01]), raw]));
const did = `did:key:${fingerprint}`;
const didUrl = `${did}#${fingerprint}`;

const b64url = data => Buffer.from(data).toString('base64url');
const callbacks = {
  // anonymous access to the token endpoint, as the pre-authorized code flow allows
  clientAuthentication: clientAuthenticationAnonymous(),
  fetch,
  generateRandom: bytes => crypto.randomBytes(bytes),
  hash: (data, alg) => crypto.createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
  signJwt: async (signer, {header, payload}) => {
    if (signer.method !== 'did' || signer.didUrl !== didUrl) {
      throw new Error(`unexpected signer ${JSON.stringify(signer)}`);
    }
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    const signature = crypto.sign(null, Buffer.from(input), privateKey);
    return {jwt: `${input}.${b64url(signature)}`, signerJwk: publicJwk};
  },
};

const [offerUri, txCode] = process.argv.slice(2);
const client = new Openid4vciClient({callbacks});
const credentialOffer = await client.resolveCredentialOffer(offerUri);
const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
const configuration = credentialOffer.credential_configuration_ids[0];
const {accessTokenResponse} = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
  credentialOffer,
  issuerMetadata,
  txCode,
});
const {c_nonce: nonce} = await client.requestNonce({issuerMetadata});
const {jwt} = await client.createCredentialRequestJwtProof({
  issuerMetadata,
  credentialConfigurationId: configuration,
  signer: {method: 'did', didUrl, alg: 'EdDSA'},
  nonce,
});
const {credentialResponse} = await client.retrieveCredentials({
  issuerMetadata,
  accessToken: accessTokenResponse.access_token,
  credentialConfigurationId: configuration,
  proofs: {jwt: [jwt]},
});
console.log(JSON.stringify({did, configuration, credentials: credentialResponse.credentials}));
