import { SafeInstallError } from '@safe-install/schema';
import { locateEngine, parseEngineAddress } from './connect.js';

describe('parseEngineAddress', () => {
  it.each(['unix:///var/run/docker.sock', 'tcp://127.0.0.1:2375', 'https://engine.test:2376', 'ssh://ci@engine.test'])('takes %s', (address: string) => {
    expect(parseEngineAddress(address).href).toBeTruthy();
  });

  it.each(['', '/var/run/docker.sock', 'ftp://engine.test', 'not a url', 'file:///etc/passwd', `tcp://${'a'.repeat(5000)}\u001b[31m`.replace('tcp://', 'npipe:')])(
    'refuses %j as a usage error that names its source, sanitised and bounded',
    (address: string) => {
      let error: unknown;
      try {
        parseEngineAddress(address, '--docker-host');
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(SafeInstallError);
      expect((error as SafeInstallError).code).toBe('DOCKER_HOST_INVALID');
      expect((error as SafeInstallError).message.startsWith('--docker-host ')).toBe(true);
      expect((error as SafeInstallError).message).not.toContain('\u001b');
      expect((error as SafeInstallError).message.length).toBeLessThan(400);
    },
  );

  it('checks DOCKER_HOST the same way before anything connects', async () => {
    await expect(locateEngine({ DOCKER_HOST: 'ftp://engine.test' })).rejects.toMatchObject({ code: 'DOCKER_HOST_INVALID' });
  });
});
