/* Home Visit Toolkit service worker: keeps the offline app (its pages, the data dictionary and the static
 * files) so the visit journey opens with no signal. Served from /sw.js by homevisit/views/offline.py, which
 * puts VERSION and PRECACHE above this line.
 *
 * It never keeps anything about a person: not the API, not the key, the session or the caseload (the app
 * keeps those itself, encrypted), and only shell pages that are the same for everyone. A response that was
 * redirected (to sign-in) or failed is never cached.
 */
/* global VERSION, PRECACHE */
'use strict'

const CACHE = 'hv-shell-' + VERSION
const HOME = '/offline/'
const VISIT = '/offline/visit'
const DICTIONARY = '/offline/dictionary.json'
const NEVER = ['/api/', '/offline/key', '/offline/session.json', '/offline/caseload.json', '/sw.js', '/sign-in', '/sign-out']

function usable (response) {
  return response && response.ok && !response.redirected && response.type === 'basic'
}

self.addEventListener('install', event => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE)
    for (const url of PRECACHE) {
      const response = await fetch(url, { credentials: 'same-origin', cache: 'no-cache' })
      if (!usable(response)) throw new Error('Could not keep ' + url + ' for use without signal')
      await cache.put(url, response)
    }
    await self.skipWaiting()
  })())
})

self.addEventListener('activate', event => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('hv-shell-') && name !== CACHE) await caches.delete(name)
    }
    await self.clients.claim()
  })())
})

/** The kept copy, with no network at all: a new version of any of these files is a new VERSION, which
 * installs a new worker and a new cache. The network only if it was somehow missing. */
async function cacheFirst (key, request) {
  const cache = await caches.open(CACHE)
  const cached = await cache.match(key)
  return cached || fetch(request)
}

/** The kept copy at once, and a fresh copy fetched behind it for next time (the dictionary: the rules in
 * force can change without a new version of the app). */
async function staleWhileRevalidate (event, key) {
  const cache = await caches.open(CACHE)
  const cached = await cache.match(key)
  const etag = cached && cached.headers.get('ETag')
  const refresh = fetch(key, { credentials: 'same-origin', cache: 'no-store', headers: etag ? { 'If-None-Match': etag } : {} })
    .then(response => {
      if (usable(response)) return cache.put(key, response.clone()).then(() => response)
      return response // 304: the kept copy is current
    })
  if (cached) {
    event.waitUntil(refresh.catch(() => null))
    return cached
  }
  return refresh.catch(() => Response.error())
}

async function networkElseOfflineHome (request) {
  try {
    return await fetch(request)
  } catch (error) {
    const cache = await caches.open(CACHE)
    const home = await cache.match(HOME)
    if (home) return home
    throw error
  }
}

self.addEventListener('fetch', event => {
  const request = event.request
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== self.location.origin) return
  if (NEVER.some(prefix => url.pathname.startsWith(prefix))) return
  if (url.pathname === DICTIONARY) {
    event.respondWith(staleWhileRevalidate(event, url.pathname))
    return
  }
  if (url.pathname === HOME || url.pathname === VISIT || (PRECACHE.includes(url.pathname) && !url.search)) {
    event.respondWith(cacheFirst(url.pathname, request))
    return
  }
  if (request.mode === 'navigate') {
    event.respondWith(networkElseOfflineHome(request))
  }
})
