import { describe, expect, it } from 'vitest';
import { dialectOf } from './store.ts';

describe('dialectOf', () => {
  it("picks the dialect from the URL's scheme alone", () => {
    expect(dialectOf('postgres://u@h/db').product).toBe('PostgreSQL');
    expect(dialectOf('postgresql://u@h/db').product).toBe('PostgreSQL');
    expect(dialectOf('mysql://u:p@h:3306/db').product).toBe('MySQL');
  });

  it('names the variable for any other scheme', () => {
    expect(() => dialectOf('mariadb://u@h/db')).toThrow(/^DATABASE_URL: expected a postgres:\/\/ or mysql:\/\/ URL/);
  });
});
