import { startTestServer, type TestServer } from '../support/test-server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

test('create then read a Patient', async () => {
  const created = await server.fetch('/Patient', { method: 'POST', body: JSON.stringify({ resourceType: 'Patient', gender: 'female', name: [{ family: 'Núñez' }] }) });
  expect(created.status).toBe(201);
  const read = await server.fetch(`/Patient/${created.body.id}`);
  expect(read.body.name[0].family).toBe('Núñez');
  const found = await server.fetch('/Patient?name=nunez');
  expect(found.body.entry).toHaveLength(1);
});
