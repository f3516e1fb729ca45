import { HttpRequest, InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { health } from '../../functions/health.js';

describe('health (HTTP trigger)', () => {
  it('answers 200 with the app name, without settings or Azure', () => {
    const response = health(new HttpRequest({ method: 'GET', url: 'http://127.0.0.1/api/health' }), new InvocationContext({ functionName: 'health' }));
    expect(response.status).toBe(200);
    expect(response.jsonBody).toEqual({ status: 'ok', app: 'pitr-warden' });
  });
});
