import { readFile } from 'node:fs/promises';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, type KeyLike } from 'jose';
import type { Database } from '../store/database';
import { SigningKeyTable } from '../store/signing-key-table';

/**
 * Algorithms accepted on every JWT this server verifies (access tokens, client assertions).
 * Asymmetric only: no `none`, no HS* (an HS256 token "signed" with a public key is the
 * classic algorithm-confusion attack).
 */
export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'ES256', 'ES384'];

/** The algorithm of keys the server generates for itself. */
const GENERATED_ALGORITHM = 'ES256';

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: KeyLike | Uint8Array;
  /** Public half, as published at /auth/jwks. */
  publicJwk: JWK;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

function publicPart(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete copy[member];
  delete copy.key_ops;
  return copy as unknown as JWK;
}

function algorithmOf(jwk: JWK): string {
  if (jwk.alg !== undefined) return jwk.alg;
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'EC' && jwk.crv === 'P-384') return 'ES384';
  if (jwk.kty === 'RSA') return 'RS256';
  throw new Error(`Cannot tell the algorithm of a ${String(jwk.kty)} key; set "alg"`);
}

async function fromPrivateJwk(jwk: JWK, source: string): Promise<SigningKey> {
  if (typeof jwk.d !== 'string') throw new Error(`${source} must hold a private JWK (with "d")`);
  const alg = algorithmOf(jwk);
  if (!ALLOWED_ALGORITHMS.includes(alg)) throw new Error(`${source}: algorithm ${alg} is not one of ${ALLOWED_ALGORITHMS.join(', ')}`);
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicPart(jwk)));
  return { kid, alg, privateKey: await importJWK(jwk, alg), publicJwk: { ...publicPart(jwk), kid, alg, use: 'sig' } };
}

/**
 * The key pair that signs the built-in token endpoint's access tokens: read from
 * AUTH_SIGNING_KEY_FILE, or generated at first start and kept in the database so that
 * every instance and every restart signs with the same key.
 */
export class SigningKeys {
  private loading: Promise<SigningKey> | undefined;
  private readonly table: SigningKeyTable;

  constructor(
    database: Database,
    private readonly keyFile: string | undefined,
  ) {
    this.table = new SigningKeyTable(database);
  }

  current(): Promise<SigningKey> {
    this.loading ??= this.load().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    });
    return this.loading;
  }

  async publicJwks(): Promise<{ keys: JWK[] }> {
    return { keys: [(await this.current()).publicJwk] };
  }

  private async load(): Promise<SigningKey> {
    if (this.keyFile !== undefined) {
      const parsed = JSON.parse(await readFile(this.keyFile, 'utf8')) as JWK | { keys: JWK[] };
      const jwk = 'keys' in parsed ? parsed.keys[0] : parsed;
      return fromPrivateJwk(jwk, `AUTH_SIGNING_KEY_FILE ${this.keyFile}`);
    }
    let row = await this.table.oldest();
    if (!row) {
      const { privateKey } = await generateKeyPair(GENERATED_ALGORITHM, { extractable: true });
      const jwk = { ...(await exportJWK(privateKey)), alg: GENERATED_ALGORITHM };
      jwk.kid = await calculateJwkThumbprint(publicPart(jwk));
      // Two instances starting at once: the first insert wins, both then use the oldest key.
      await this.table.insertIfAbsent({ kid: jwk.kid, alg: GENERATED_ALGORITHM, private_jwk: JSON.stringify(jwk) });
      row = await this.table.oldest();
    }
    if (!row) throw new Error('The signing key could not be stored');
    return fromPrivateJwk(JSON.parse(row.private_jwk) as JWK, 'The stored signing key');
  }
}
