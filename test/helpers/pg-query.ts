// One SQL statement on a connection of its own, for tests that look at or change a PostgreSQL
// database beside the code under test.
import pg from 'pg';

/**
 * Runs `text` on a new connection to `url`, closes it, and returns the rows. Without `values`
 * the text may hold several statements (the simple query protocol); with them, one.
 */
export async function pgQuery<T extends pg.QueryResultRow>(
  url: string,
  text: string,
  values?: unknown[],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  // A server that ends the session (a test stopping it) must not crash the test process.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (
      values === undefined ? await client.query<T>(text) : await client.query<T>(text, values)
    ).rows;
  } finally {
    await client.end();
  }
}
