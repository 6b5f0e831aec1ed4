import { readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cpuModel, parseOsRelease, zoneOfHost } from './host.js';

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

  it('names the time zone as Intl would, without loading ICU', () => {
    expect(zoneOfHost(undefined, '/usr/share/zoneinfo/Europe/Paris')).toBe('Europe/Paris');
    expect(zoneOfHost(undefined, '../usr/share/zoneinfo/Etc/UTC')).toBe('UTC');
    expect(zoneOfHost(':America/New_York', '/usr/share/zoneinfo/Etc/UTC')).toBe('America/New_York');
    expect(zoneOfHost(undefined, undefined)).toBeUndefined();
    // This machine: the same answer as Intl's (when its zone is named by TZ or a link).
    let link: string | undefined;
    try {
      link = readlinkSync('/etc/localtime');
    } catch {
      link = undefined; // no link here: nothing to compare
    }
    const zone = zoneOfHost(process.env.TZ, link);
    if (zone !== undefined) expect(zone).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });
});
