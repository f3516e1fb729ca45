import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLoopbackHttp, tableClient, tableEndpointOf } from '../../src/adapters/azure/tables/tables.js';
import {
  decodeKey,
  encodeKey,
  inventoryPartition,
  MAX_KEY_CHARS,
  partitionOfRecord,
} from '../../src/adapters/azure/tables/tableKeys.js';
import { fitEvidence, getJson, JSON_CHUNK_CHARS, putJson } from '../../src/adapters/azure/tables/tableFields.js';
import { fromEvidenceEntity, toEvidenceEntity } from '../../src/adapters/azure/tables/evidenceEntity.js';

/** Characters Table Storage forbids in keys, and the two that break point operations. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must not appear
const FORBIDDEN = /[/\\#?\u0000-\u001f\u007f-\u009f%']/;

/** Any code point (no lone surrogates), often one a key forbids or the encoding uses. */
const keyChar = fc.oneof(
  fc.constantFrom('/', '\\', '#', '?', '%', "'", '~', '|', ':', '@', ' ', '\u0000', '\u001f', '\u007f', '\u0085'),
  fc
    .integer({ min: 0, max: 0x10ffff })
    .filter((cp) => cp < 0xd800 || cp > 0xdfff)
    .map((cp) => String.fromCodePoint(cp)),
);

describe('table keys', () => {
  it('encodes a server key readably', () => {
    const key =
      '/subscriptions/00000000-0000-4000-8000-00000000000a/resourcegroups/rg-data/providers/microsoft.dbforpostgresql/flexibleservers/pg-1';
    expect(encodeKey(key)).toBe(
      '|subscriptions|00000000-0000-4000-8000-00000000000a|resourcegroups|rg-data|providers|microsoft.dbforpostgresql|flexibleservers|pg-1',
    );
    expect(encodeKey("a#b?c\\d%e'f~g|h: @x")).toBe('a~23b~3Fc~5Cd~25e~27f~7Eg~7Ch:~20@x');
    expect(encodeKey('Zoë')).toBe('Zo~C3~AB');
  });

  it('round-trips any string and never yields a forbidden character', () => {
    fc.assert(
      fc.property(fc.string({ unit: keyChar, maxLength: 80 }), (value) => {
        const encoded = encodeKey(value);
        expect(encoded).not.toMatch(FORBIDDEN);
        expect(decodeKey(encoded)).toBe(value);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps distinct strings distinct', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        fc.string({ unit: 'grapheme', maxLength: 40 }),
        (a, b) => {
          if (a !== b) expect(encodeKey(a)).not.toBe(encodeKey(b));
        },
      ),
    );
  });

  it('ends an over-long key in a hash: within 1 KiB, deterministic, distinct', () => {
    const long = `/subscriptions/s/${'ü'.repeat(400)}`;
    const encoded = encodeKey(long);
    expect(encoded.length).toBeLessThanOrEqual(MAX_KEY_CHARS);
    expect(encoded).toMatch(/~~[0-9a-f]{64}$/);
    expect(encoded).not.toMatch(FORBIDDEN);
    expect(encodeKey(long)).toBe(encoded);
    expect(encodeKey(`${long}!`)).not.toBe(encoded);
    expect(decodeKey(encoded)).toBeUndefined();
  });

  it('takes the inventory partition from the key, and refuses a record whose subscription differs', () => {
    expect(inventoryPartition('/SUBSCRIPTIONS/ABC/resourceGroups/x')).toBe('abc');
    expect(inventoryPartition('subscriptions/abc')).toBe('abc');
    expect(inventoryPartition('/providers/x')).toBeUndefined();
    expect(partitionOfRecord({ key: '/subscriptions/abc/x', subscriptionId: 'ABC' })).toBe('abc');
    expect(() => partitionOfRecord({ key: '/subscriptions/abc/x', subscriptionId: 'def' })).toThrow(
      /has subscriptionId def, not the key's abc/,
    );
  });
});

describe('table fields', () => {
  it('splits a long JSON value over numbered properties and joins it back', () => {
    const value = { text: 'é'.repeat(JSON_CHUNK_CHARS * 2) };
    const props: Record<string, unknown> = {};
    putJson(props, 'details', value);
    expect(Object.keys(props).sort()).toEqual(['details', 'details__1', 'details__2', 'details__parts']);
    expect(props.details__parts).toBe(3);
    for (const name of ['details', 'details__1', 'details__2'])
      expect((props[name] as string).length).toBeLessThanOrEqual(JSON_CHUNK_CHARS);
    expect(getJson(props, 'details')).toEqual(value);
  });

  it('cuts the largest of before/after/details first, keeps a preview, and is idempotent', () => {
    const entry = {
      serverKey: 'k',
      id: 'i',
      at: '2026-11-01T00:00:00.000Z',
      actor: 'a',
      kind: 'k',
      summary: 's'.repeat(40_000),
      before: { small: 1 },
      details: 'd'.repeat(400_000),
    };
    const fitted = fitEvidence(entry);
    expect(fitted.before).toEqual({ small: 1 });
    expect(fitted.details).toMatchObject({ truncated: true, originalChars: 400_002 });
    expect(fitted.summary.length).toBeLessThanOrEqual(JSON_CHUNK_CHARS);
    expect(fitted.summary).toMatch(/ … \[truncated \d+ characters\] … /);
    expect(fitEvidence(fitted)).toEqual(fitted);
  });

  it('stores an entry as fitEvidence gives it, property by property, and reads it back so', () => {
    const entries = [
      {
        serverKey: 'k',
        id: 'small',
        at: 't',
        actor: 'a',
        kind: 'deleting',
        summary: 's',
        reason: 'r',
        details: { a: [1] },
      },
      {
        serverKey: 'k',
        id: 'large',
        at: 't',
        actor: 'a',
        kind: 'k',
        summary: 's'.repeat(40_000),
        before: { big: 'b'.repeat(70_000), at: new Date(0), gone: undefined },
        after: { '2': 'two', b: 1 },
        details: 'd'.repeat(400_000),
      },
    ];
    for (const entry of entries) {
      const fitted = fitEvidence(entry);
      const expected: Record<string, unknown> = {};
      for (const name of ['before', 'after', 'details'] as const) putJson(expected, name, fitted[name]);
      const entity = toEvidenceEntity(entry);
      expect(entity, entry.id).toMatchObject(expected);
      expect(
        Object.keys(entity)
          .filter((k) => /^(before|after|details)/.test(k))
          .sort(),
      ).toEqual(Object.keys(expected).sort());
      expect(fromEvidenceEntity(entity), entry.id).toEqual(fitted);
    }
  });
});

describe('table connection', () => {
  it('finds the table endpoint of a connection string', () => {
    expect(tableEndpointOf('UseDevelopmentStorage=true')).toBe('http://127.0.0.1:10002/devstoreaccount1');
    expect(
      tableEndpointOf('DefaultEndpointsProtocol=http;AccountName=a;AccountKey=k;TableEndpoint=http://127.0.0.1:5/a;'),
    ).toBe('http://127.0.0.1:5/a');
    expect(
      tableEndpointOf('DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=k;EndpointSuffix=core.windows.net'),
    ).toBe('https://acct.table.core.windows.net');
  });

  it('allows plain http on loopback only', () => {
    expect(isLoopbackHttp('http://127.0.0.1:10002/devstoreaccount1')).toBe(true);
    expect(isLoopbackHttp('http://localhost:10002/devstoreaccount1')).toBe(true);
    expect(isLoopbackHttp('http://[::1]:10002/devstoreaccount1')).toBe(true);
    expect(isLoopbackHttp('https://127.0.0.1:10002/devstoreaccount1')).toBe(false);
    expect(isLoopbackHttp('http://10.0.0.4:10002/devstoreaccount1')).toBe(false);
    expect(() =>
      tableClient(
        {
          connectionString:
            'DefaultEndpointsProtocol=http;AccountName=a;AccountKey=a2V5;TableEndpoint=http://10.0.0.4/a',
          prefix: 'w',
        },
        'wInventory',
      ),
    ).toThrow(/plain http on another machine/);
  });

  it('builds an account client on the public endpoint, and refuses without credentials', () => {
    const credential = { getToken: () => Promise.resolve({ token: 't', expiresOnTimestamp: Date.now() + 60_000 }) };
    const client = tableClient({ accountName: 'wardenstore', credential, prefix: 'warden' }, 'wardenInventory');
    expect(client.url).toBe('https://wardenstore.table.core.windows.net');
    expect(client.tableName).toBe('wardenInventory');
    expect(() => tableClient({ prefix: 'warden' }, 'wardenInventory')).toThrow(
      /connection string, or an account name and a credential/,
    );
  });
});
