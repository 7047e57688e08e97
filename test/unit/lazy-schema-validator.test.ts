import { describe, expect, it } from 'vitest';
import { LazySchemaValidator } from '../../src/mcp/lazy-schema-validator.js';

describe('LazySchemaValidator', () => {
  it('validates with Ajv once asked, for each schema it is given', () => {
    const validator = new LazySchemaValidator();
    const answer = validator.getValidator<{ name: string }>({
      type: 'object',
      properties: { name: { type: 'string' } },
      required: ['name'],
    });
    expect(answer({ name: 'ok' })).toEqual({ valid: true, data: { name: 'ok' }, errorMessage: undefined });
    expect(answer({ name: 3 })).toMatchObject({ valid: false, data: undefined });
    expect(validator.getValidator({ type: 'integer' })(1.5)).toMatchObject({ valid: false });
  });
});
