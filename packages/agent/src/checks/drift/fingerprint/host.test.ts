import { describe, expect, it } from 'vitest';
import { cpuModel, parseOsRelease } from './host.js';

describe('host facts', () => {
  it('reads distro, release and codename from os-release as the fingerprint always has', () => {
    const debian = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian`;
    expect(parseOsRelease(debian)).toEqual({
      distro: 'Debian GNU/Linux',
      release: '12',
      codename: 'bookworm',
    });
    const ubuntu = `DISTRIB_ID=Ubuntu
DISTRIB_RELEASE=22.04
DISTRIB_CODENAME=jammy
DISTRIB_DESCRIPTION="Ubuntu 22.04.4 LTS"
PRETTY_NAME="Ubuntu 22.04.4 LTS"
NAME="Ubuntu"
VERSION_ID="22.04"
VERSION="22.04.4 LTS (Jammy Jellyfish)"
VERSION_CODENAME=jammy`;
    expect(parseOsRelease(ubuntu)).toEqual({
      distro: 'Ubuntu',
      release: '22.04.4 LTS',
      codename: 'jammy',
    });
    expect(parseOsRelease('')).toEqual({ distro: 'unknown', release: 'unknown', codename: '' });
  });

  it('names the CPU by manufacturer and brand', () => {
    expect(cpuModel('processor\t: 0\nmodel name\t: Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz\n', '')).toEqual(
      {
        manufacturer: 'Intel',
        brand: 'Xeon® E5-2680 v4',
      },
    );
    expect(cpuModel('model name\t: AMD EPYC\n', '')).toEqual({ manufacturer: 'AMD', brand: 'EPYC' });
    expect(cpuModel('', 'QEMU Virtual CPU version 2.5+')).toEqual({
      manufacturer: 'QEMU',
      brand: 'Virtual version 2.5+',
    });
  });
});
