// One SQL statement against a test's PostgreSQL database, for what a test reads or sets up
// behind the gateway's back.

import pg from 'pg';

/** The rows of one statement, run on a connection of its own. */
export async function sqlRows<T extends pg.QueryResultRow>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}
