// The `accounts` check: accounts with UID 0 besides root, and accounts without a password.
import { readFile } from 'node:fs/promises';
import type { Metrics } from '@vigie/shared';
import { describeError, unknownOutcome } from '../../failure.js';
import { type CheckOutcome, defineCheck } from '../../types.js';
import {
  emptyPasswords,
  extraUid0,
  type PasswdEntry,
  parsePasswd,
  parseShadow,
  type ShadowEntry,
} from './databases.js';
import { ACCOUNTS_DEFAULTS, AccountsOptionsSchema } from './options.js';

const SHOWN = 5;

export const accountsCheck = defineCheck({
  type: 'accounts',
  category: 'security',
  summary: 'Accounts with UID 0 besides root, and accounts with an empty password',
  options: AccountsOptionsSchema,
  async run(options, ctx): Promise<CheckOutcome> {
    const passwdFile = options.passwdFile ?? ACCOUNTS_DEFAULTS.passwdFile;
    const shadowFile = options.shadowFile ?? ACCOUNTS_DEFAULTS.shadowFile;
    let passwd: PasswdEntry[];
    try {
      passwd = parsePasswd(await readFile(passwdFile, { encoding: 'utf8', signal: ctx.signal }));
    } catch (err) {
      return unknownOutcome(`cannot read ${passwdFile}: ${describeError(err)}`);
    }
    // Reading shadow needs root (or the shadow group); without it, only the UID 0 part is checked.
    let shadow: ShadowEntry[] | undefined;
    let shadowError: string | undefined;
    try {
      shadow = parseShadow(await readFile(shadowFile, { encoding: 'utf8', signal: ctx.signal }));
    } catch (err) {
      shadowError = `cannot read ${shadowFile} (${describeError(err)}): empty passwords not checked`;
    }

    const uid0 = extraUid0(passwd, options.allowUid0 ?? ACCOUNTS_DEFAULTS.allowUid0);
    const empty = emptyPasswords(passwd, shadow);
    const metrics: Metrics = { accounts: passwd.length, uid0_extra: uid0.length };
    if (shadow !== undefined) metrics.empty_passwords = empty.length;

    const problems: string[] = [];
    if (uid0.length > 0) problems.push(`UID 0 besides ${allowedText(options.allowUid0)}: ${names(uid0)}`);
    if (empty.length > 0) problems.push(`empty password: ${names(empty)}`);
    if (problems.length > 0) {
      const partial = shadowError === undefined ? '' : ` (${shadowError})`;
      return { status: 'critical', metrics, message: `${problems.join('; ')}${partial}` };
    }
    const uid0Fine = `no UID 0 account besides ${allowedText(options.allowUid0)}`;
    if (shadowError !== undefined)
      return { status: 'unknown', metrics, message: `${shadowError}; ${uid0Fine}` };
    return { status: 'ok', metrics, message: `${passwd.length} accounts: ${uid0Fine}, no empty password` };
  },
});

export default accountsCheck;

function names(list: readonly string[]): string {
  const shown = list.slice(0, SHOWN).join(', ');
  return list.length > SHOWN ? `${shown} (+${list.length - SHOWN} more)` : shown;
}

function allowedText(allowed: readonly string[] | undefined): string {
  const list = allowed ?? ACCOUNTS_DEFAULTS.allowUid0;
  return list.length === 0 ? '(none allowed)' : list.join(', ');
}
