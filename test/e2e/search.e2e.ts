/**
 * Search across the local messages (issue 5): typed in the conversation list, answered by the
 * worker from its decrypted in-memory state — accents and case ignored, every word required,
 * newest first, shown as text — and nothing typed there goes out on the WebSocket. Choosing a hit
 * opens its conversation.
 */
import { expect, test } from '@playwright/test'
// @ts-ignore plain ESM helper shared with web-test-runner
import { startRelay } from '../relay-node.mjs'
import { addPerson, DESKTOP, newPage, PHONE, send, setupOrganisation, startConversation } from './web5-helpers.ts'

const SHOTS = '/tmp/wl-shots-search'

test('local message search finds decrypted messages on this device and sends nothing', async ({ browser }) => {
  const relay = await startRelay()
  const errors: string[] = []
  const admin = await newPage(browser, DESKTOP, errors)
  const ben = await newPage(browser, DESKTOP, errors)
  await setupOrganisation(admin, relay, 'Ann Admin', 'amber-ward-7')
  await addPerson(admin, ben, relay.url, 'Ben Nurse', 'blue-ward-42')
  await addPerson(admin, await newPage(browser, PHONE, errors), relay.url, 'Cara Doctor', 'cyan-ward-9')

  await startConversation(admin, ['Ben'])
  await send(admin, 'Bed 4 haemoglobin 92, repeat the full blood count at 18:00')
  await send(admin, '<b>Potassium</b> 5.9 on the Zyrtexa protocol, please recheck')
  await startConversation(admin, ['Cara'])
  await send(admin, 'Cara: the Zyrtexa infusion for bed 9 is paused')

  await expect(ben.getByTestId('conversation')).toHaveCount(1)
  const sent: string[] = []
  ben.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(typeof f.payload === 'string' ? f.payload : f.payload.toString('latin1'))))
  admin.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(typeof f.payload === 'string' ? f.payload : f.payload.toString('latin1'))))

  // Ben only holds his conversation with Ann: one hit, the HTML shown as text.
  const search = ben.getByTestId('conversation-search')
  await search.fill('zyrtexa POTASSIUM')
  await expect(ben.getByTestId('message-hit')).toHaveCount(1)
  await expect(ben.getByTestId('message-hit')).toContainText('<b>Potassium</b> 5.9 on the Zyrtexa protocol')
  await expect(ben.getByTestId('message-hit')).toContainText('Ann Admin')
  // Accents folded, every word needed.
  await search.fill('HÁEMOGLOBÍN bed 4')
  await expect(ben.getByTestId('message-hit')).toHaveCount(1)
  await search.fill('haemoglobin nowhere')
  await expect(ben.getByTestId('no-search-results')).toBeVisible()

  // Ann holds both conversations: newest first.
  await admin.getByTestId('conversation-search').fill('zyrtexa')
  await expect(admin.getByTestId('message-hit')).toHaveCount(2)
  await expect(admin.getByTestId('message-hit').first()).toContainText('infusion for bed 9')
  await expect(admin.getByTestId('message-hit').first()).toContainText('You: Cara: the Zyrtexa')
  await admin.screenshot({ path: `${SHOTS}/search-1280.png` })
  await admin.getByTestId('message-hit').last().click()
  await expect(admin.getByTestId('message-body').filter({ hasText: 'Potassium' })).toBeVisible()

  // Nothing typed into the search went out.
  for (const q of ['zyrtexa', 'POTASSIUM', 'nowhere']) expect(sent.some((p) => p.toLowerCase().includes(q.toLowerCase()))).toBe(false)
  expect(errors).toEqual([])
  await relay.stop()
})
