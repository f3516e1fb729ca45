import { describe, expect, it } from 'vitest';
import { actorFromCaller, actorFromClaims } from '../../src/domain/events.js';
import { sample } from '../fixtures/events/load.js';

const UPN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';
const OID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const XML_NAME = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name';

describe('actorFromClaims', () => {
  it('the Activity Log REST sample is a user with upn, name, object id and client app', () => {
    const entry = sample('activity-log/GetActivityLogsFiltered.json').responses['200'].body.value[0];
    expect(actorFromClaims(entry.claims)).toEqual({
      type: 'user',
      upn: 'admin@contoso.com',
      name: 'John Smith',
      objectId: '2468adf0-8211-44e3-95xq-85137af64708',
      appId: 'c44b4083-3bq0-49c1-b47d-974e53cbdf3c',
    });
  });

  it('the Administrative sample is rob@contoso.com', () => {
    expect(actorFromClaims(sample('activity-log/activity-log-schema_Administrative_sample.json').claims)).toMatchObject(
      { type: 'user', upn: 'rob@contoso.com', name: 'Rob Robertson' },
    );
  });

  it('the alert sample claims (a JSON string) are a service principal: app id, no upn', () => {
    const context = sample(
      'activity-log/common-alert-schema_alertContext_ActivityLog-Administrative.json',
    ).alertContext;
    expect(actorFromClaims(context.claims as string)).toEqual({
      type: 'service-principal',
      objectId: '9778283b-b94c-4ac6-8a41-d5b493d03aa3',
      appId: 'e9a02282-074f-45cf-93b0-50568e0e7e50',
    });
  });

  it('the short claim names (upn, oid, azp) work as the long ones', () => {
    expect(actorFromClaims({ upn: 'bob@contoso.com', oid: 'o-1', azp: 'a-1', name: 'Bob' })).toEqual({
      type: 'user',
      upn: 'bob@contoso.com',
      name: 'Bob',
      objectId: 'o-1',
      appId: 'a-1',
    });
  });

  it('a guest without upn is a user through the e-mail claims', () => {
    expect(actorFromClaims({ email: 'carol@fabrikam.com', appid: 'a-1' })).toMatchObject({
      type: 'user',
      upn: 'carol@fabrikam.com',
    });
    expect(actorFromClaims({ [XML_NAME]: 'dave@fabrikam.com', appid: 'a-1' })).toMatchObject({
      type: 'user',
      upn: 'dave@fabrikam.com',
    });
    expect(actorFromClaims({ unique_name: 'live.com#erin@outlook.com', appid: 'a-1' })).toMatchObject({
      type: 'user',
      upn: 'erin@outlook.com',
    });
  });

  it('a name claim that is not an e-mail address does not make a user of an app', () => {
    expect(actorFromClaims({ [XML_NAME]: 'deploy-pipeline', appid: 'a-1', [OID]: 'o-1' })).toEqual({
      type: 'service-principal',
      objectId: 'o-1',
      appId: 'a-1',
    });
  });

  it('idtyp app wins over anything that looks like a user', () => {
    expect(actorFromClaims({ idtyp: 'app', [UPN]: 'x@contoso.com', appid: 'a-1' })).toEqual({
      type: 'service-principal',
      appId: 'a-1',
    });
  });

  it('idtyp user without upn is a user without a mailbox', () => {
    expect(actorFromClaims({ idtyp: 'user', appid: 'a-1', [OID]: 'o-1' })).toEqual({
      type: 'user',
      objectId: 'o-1',
      appId: 'a-1',
    });
  });

  it.each([undefined, '', 'not json', '[1]', {}])('claims %j say nothing: unknown', (claims) => {
    expect(actorFromClaims(claims as never)).toEqual({ type: 'unknown' });
  });

  it('non-string claim values are skipped', () => {
    expect(actorFromClaims({ [UPN]: 5, appid: ['x'], [OID]: 'o-1' })).toEqual({ type: 'unknown', objectId: 'o-1' });
  });
});

describe('actorFromCaller', () => {
  it.each([
    ['alice@contoso.com', { type: 'user', upn: 'alice@contoso.com' }],
    ['9778283b-b94c-4ac6-8a41-d5b493d03aa3', { type: 'unknown', objectId: '9778283b-b94c-4ac6-8a41-d5b493d03aa3' }],
    ['Microsoft.Compute', { type: 'unknown', name: 'Microsoft.Compute' }],
    [undefined, { type: 'unknown' }],
  ])('%s', (caller, actor) => {
    expect(actorFromCaller(caller)).toEqual(actor);
  });
});
