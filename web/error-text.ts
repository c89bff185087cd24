/**
 * Plain-words text for the error codes the worker returns (docs/errors.md). Never shows the
 * worker's message verbatim: codes are stable, messages are for logs.
 */
const TEXT: Record<string, string> = {
  'local/wrong-pin': 'Wrong PIN',
  'local/wiped': 'Too many wrong PINs: Wardline erased its data on this device. Ask your administrator for a new enrollment code.',
  'local/device-revoked':
    'This device was removed from Wardline by your organisation (or by you from another device). Its messages and keys were erased from it. To use Wardline here again, ask your administrator for a new enrollment code.',
  'local/device-removed': 'Wardline was removed from this device: its messages, keys and stored data were erased, and your organisation was told. To use it here again, ask your administrator for a new enrollment code.',
  'local/lease-wiped':
    'This device had not connected to your organisation’s Wardline server for too long, so Wardline erased its data here. Ask your administrator for a new enrollment code.',
  'local/lease-expired':
    'This device has not reached your organisation’s Wardline server for too long. Connect to the network, then enter your PIN to renew and unlock.',
  'local/session-limit': 'Wardline locked because your organisation limits how long a session stays open. Enter your PIN to continue.',
  'local/offline-remove':
    'You are offline. Connect to the network so your organisation learns this device is removed, then try again. (If the device is lost, report it from another device or ask your administrator.)',
  'local/signed-out': 'Signed out: that person’s messages, keys and stored data were erased from this device, and your organisation was told. They need a new enrollment code to use Wardline here again.',
  'local/offline-sign-out': 'You are offline. Connect to the network so your organisation learns you signed out, then try again. Until then, use Switch user: it locks your messages.',
  'trust/bad-revocation': 'The server said this device was removed but could not prove it; nothing was erased. Tell your IT team.',
  'lease/bad-signature': 'The server offered a lease this device could not verify; it was ignored. Tell your IT team.',
  'local/prf-failed': 'Unlocking with the screen lock did not work. Enter your PIN or passphrase.',
  'local/prf-unavailable': 'This device’s screen lock cannot unlock Wardline (no WebAuthn PRF support). Keep using your PIN.',
  'trust/bad-policy': 'The server offered a device policy your organisation did not sign; it was ignored. Tell your IT team.',
  'admin/bad-policy': 'A policy value is out of range.',
  'relay/bad-policy': 'The server refused the policy (not signed by this organisation).',
  'relay/stale-policy': 'A newer policy was set meanwhile. Try again.',
  'enroll/bad-code': 'That is not a complete enrollment code. Check each group of letters and numbers.',
  'enroll/unknown-code': 'This enrollment code is not known to the server. Check it with the person who gave it to you.',
  'enroll/code-used': 'This enrollment code has already been used. Ask your administrator for a new one.',
  'enroll/code-expired': 'This enrollment code has expired. Ask your administrator for a new one.',
  'enroll/code-revoked': 'This enrollment code was revoked by your administrator. Ask them for a new one.',
  'admin/unknown-code': 'This device did not create that enrollment code.',
  'admin/name-required': 'Enter the person’s name.',
  'admin/bad-request': 'That request was not understood. Refresh the list.',
  'audit/empty-log': 'The audit log is empty: nothing to sign yet.',
  'relay/forbidden': 'The server refused: this device is not allowed to do that.',
  'enroll/wrong-organisation':
    'This code does not match this server’s organisation. Check that it was typed exactly as given (a single wrong character does this); if it was, do not continue — tell your IT team.',
  'enroll/no-organisation': 'This server has no organisation yet. Ask your IT team.',
  'enroll/device-exists': 'This device is already enrolled. Reload the page.',
  'enroll/bad-authorization': 'This code could not be verified. Ask your administrator for a new one.',
  'setup/already-done': 'The organisation on this server is already set up. Ask an administrator for an enrollment code.',
  'setup/bad-code': 'That setup code is not right. Use the code the server printed when it started.',
  'setup/unknown-code': 'That setup code is not right. Use the code the server printed when it started.',
  'local/weak-pin': 'This PIN or passphrase is too weak for your organisation’s policy (at least 6 characters unless your IT team set another rule).',
  'local/locked': 'Wardline is locked. Unlock it first.',
  'local/not-enrolled': 'This device is not enrolled yet. Reload the page.',
  'local/corrupt-identity': 'This device’s data could not be read. Ask your IT team to enroll it again.',
  'setup/name-required': 'Enter your name.',
  'setup/bad-chain': 'The organisation could not be created (the server rejected the keys). Try again.',
  'setup/authorization-expired': 'The setup took too long. Try again.',
  'setup/bad-compliance-officers': 'Name 1 to 16 different compliance officers, one per line, and how many of them are needed (from 1 to their number).',
  'setup/bad-compliance-key': 'The organisation could not be created (the server rejected the compliance key). Try again.',
  'enroll/bad-compliance-key':
    'This server did not offer a compliance key signed by your organisation. Do not continue — tell your IT team.',
  'enroll/already-enrolled': 'This device is already enrolled. Reload the page.',
  'enroll/bad-chain': 'This code could not be verified. Ask your administrator for a new one.',
  'admin/no-root-key':
    'Only an administrator device that holds the organisation key can do this (the device the organisation was set up on, or one that restored the key from its holders’ shares on the Organisation screen).',
  'setup/bad-root-holders': 'Name 1 to 16 different organisation key holders, one per line, and how many of them are needed (from 1 to their number).',
  'root/bad-share': 'One of these is not an organisation key share, or it was mistyped. Each starts with WLRS1; check every group of 4 characters.',
  'root/wrong-organisation': 'One of these shares belongs to another organisation’s key. Its first group after WLRS1 should match the start of this organisation’s fingerprint.',
  'root/not-enough-shares': 'Not enough shares: the number printed after the fingerprint on each share is how many different holders’ shares are needed.',
  'root/mixed-splits': 'These shares come from two different splits of the organisation key. Use shares handed out together.',
  'root/shares-do-not-match': 'These shares do not rebuild this organisation’s key. Nothing was changed. Tell your IT team.',
  'root/not-admin': 'Only an administrator device can restore the organisation key.',
  'root/already-here': 'This device already holds the organisation key.',
  'relay/network-refused':
    'Your organisation allows your role to connect only from its own network (for example the hospital network). Connect from there and try again.',
  'admin/not-allowed':
    'This device may not revoke that device. Your own other devices you can revoke; anyone else’s only the organisation’s administrator device can.',
  'admin/unknown-person': 'That person is not in the directory any more. Reload and try again.',
  'trust/unknown-device': 'That device is not in the directory any more.',
  'trust/no-verified-device': 'That person has no device your organisation has approved yet, so nothing can be encrypted to them.',
  'trust/not-in-directory': 'That person has no device your organisation has approved yet, so nothing can be encrypted to them.',
  'safety/self': 'Choose another person: a safety number is between you and someone else.',
  'sync/direct-conversation': 'People cannot be added to a direct conversation. Start a new group with everyone instead.',
  'sync/last-member': 'This would leave the conversation with nobody in it.',
  'sync/not-member': 'You are no longer a member of this conversation.',
  'sync/unknown-conversation': 'This conversation is not on this device any more.',
  // Alerts that show an attempt against this device or its conversations (docs/errors.md).
  'trust/refused-device':
    'The server offered a device that your organisation never approved. Wardline refused it and encrypts nothing to it. Tell your IT team.',
  'trust/bad-commit':
    'The server passed on a change to a conversation’s members that no member signed. Wardline ignored it; the conversation keeps its members.',
  'trust/missing-compliance-box':
    'A change to a conversation’s members did not include the organisation’s compliance copy, so it did not follow your organisation’s rules. Wardline ignored it.',
  'sync/fork':
    'The server showed members of a conversation different histories of it. Wardline noticed and is reading the conversation again. Tell your IT team if this repeats.',
  'sync/fork-unresolved':
    'This conversation’s history differs between its members and Wardline could not repair it. Tell your IT team.',
  'crypto/no-key-box':
    'A conversation changed but this device was given no key for it. Messages from then on cannot be read here.',
  'sync/replay': 'The server sent an old message again as if it were new. Wardline recognised it and ignored the copy.',
  'sync/foreign-items':
    'The server mixed items from another conversation into this one. Wardline noticed and ignored them.',
  'crypto/bad-signature':
    'Something arrived with a signature that does not match the device it claims to come from. Wardline refused it.',
  'relay/device-revoked':
    'This device was revoked by your organisation (or from another of your devices). It can no longer send or receive messages. If you did not expect this, tell your IT team.',
  'compose/empty': 'Type a message first.',
  'compose/bad-patient-context': 'Each patient detail can be at most 120 characters.',
  'sync/not-sent-removed': 'A message you wrote was not sent: you were removed from that conversation before it could go out.',
  'compose/too-long': 'This message is too long to send. Split it into shorter messages (at most 64 KiB each).',
  'admin/bad-role': 'Name the role in at most 32 letters, digits, spaces or hyphens.',
  'admin/bad-conversation-id': 'A conversation id is 32 characters 0–9 and a–f.',
  'storage/quota': 'This device is out of storage space for Wardline: nothing was saved. Free up space on the device, then try again.',
  'backup/bad-recovery-key':
    'That is not a recovery key. It starts with WLRK and has 10 groups of 4 letters and numbers. (It is not your PIN.)',
  'backup/recovery-key-typo': 'One of the characters of the recovery key is wrong. Check each group and try again.',
  'backup/wrong-recovery-key':
    'This recovery key does not open your backup. It may be an older key that was replaced: use the newest one you stored.',
  'backup/none': 'There is no key backup for you on the server yet. Create a recovery key on one of your other devices first.',
  'backup/corrupt': 'Your key backup on the server is damaged and could not be opened. Nothing was changed. Tell your IT team.',
  'backup/wrong-user': 'The server offered a key backup that belongs to someone else. Nothing was changed. Tell your IT team.',
  'backup/malformed': 'Your key backup on the server could not be read. Nothing was changed. Tell your IT team.',
  'backup/unknown-version': 'Your key backup was made by a newer version of Wardline. Update this app and try again.',
  'backup/key-replaced':
    'A newer recovery key was created on another of your devices, so this device stopped updating the backup. Enter the new key under “Restore history” to resume.',
  'relay/stale-backup': 'Another of your devices updated the backup at the same moment. Try again.',
  'attachment/too-large': 'Files are limited to 25 MiB. Send a smaller file.',
  'attachment/image-unreadable': 'This image type cannot be cleaned of its location and camera details here. Send a JPEG or PNG, or take the photo in Wardline.',
  'attachment/bad-file': 'This file’s name or type cannot be sent.',
  'attachment/bad-hash': 'This file was changed after it was sent, so it is not shown.',
  'attachment/unknown': 'This file is not available on this device.',
  'blob/not-found': 'The file is not on the server (yet). Try again in a moment.',
  'blob/quota-exceeded': 'Too many files are still uploading from this device. Wait for them to finish, then try again.',
  'blob/too-large': 'The server refused this file because it is too large.',
  'camera/unavailable': 'The camera could not be started. Check that Wardline may use it.',
  'ui/worker-stopped': 'Wardline stopped in this tab.',
  'ui/worker-failed': 'Wardline could not start. Reload the page.',
}

/**
 * Text for a worker `alert`: the plain-words text when the code has one, else the worker's
 * message (alert messages are made from codes and counts only, never from content).
 */
export function describeAlert(code: string, message: string): string {
  return TEXT[code] ?? (message || describeError(code))
}

export function describeError(code: string): string {
  const known = TEXT[code]
  if (known) return known
  if (code.startsWith('net/') || code === 'http/502' || code === 'http/503' || code === 'http/504') {
    return 'Cannot reach the Wardline server. Check the connection and try again.'
  }
  if (code.startsWith('enroll/')) return `Enrollment failed (${code}). Ask your administrator for a new code.`
  return `Something went wrong (${code}). Try again.`
}
