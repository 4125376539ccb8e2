import { describe, expect, it } from 'vitest';
import { credentialParams, redactUrl } from './redact-url.js';

describe('redactUrl', () => {
  it.each([
    ['/api/v1/sims?access_token=eyJabc.def', '/api/v1/sims?access_token=[redacted]'],
    ['/api/v1/sims?page=2&api_key=sfk_abc_def&q=89', '/api/v1/sims?page=2&api_key=[redacted]&q=89'],
    ['/x?apiKey=1&X-API-Key=2&token=3&refresh_token=4&password=5&client_secret=6&secret=7', '/x?apiKey=[redacted]&X-API-Key=[redacted]&token=[redacted]&refresh_token=[redacted]&password=[redacted]&client_secret=[redacted]&secret=[redacted]'],
    ['/x?PASSWORD=a&Token=b&jwt=c&key=d&sig=e', '/x?PASSWORD=[redacted]&Token=[redacted]&jwt=[redacted]&key=[redacted]&sig=[redacted]'],
    ['/x?api%5Fkey=secretvalue', '/x?api%5Fkey=[redacted]'],
    ['/x?token', '/x?token=[redacted]'],
    ['https://ops:hunter2@hooks.example.com/in?sig=abc#frag', 'https://ops:[redacted]@hooks.example.com/in?sig=[redacted]#frag'],
  ])('%s', (input, expected) => {
    expect(redactUrl(input)).toBe(expected);
  });

  it('keeps URLs without credentials byte for byte', () => {
    for (const url of ['/api/v1/sims?q=8988&page=1&sort=-label', '/health', 'https://api.1nce.com/management-api/v1/sims?page=1', '/x?a=%ZZ']) {
      expect(redactUrl(url)).toBe(url);
    }
  });

  it('names the credential parameters of a parsed query', () => {
    expect(credentialParams({ page: '1', access_token: 'x', Api_Key: 'y' })).toEqual(['access_token', 'Api_Key']);
    expect(credentialParams({ q: 'token-less', include_revoked: 'true' })).toEqual([]);
    expect(credentialParams(undefined)).toEqual([]);
  });
});
