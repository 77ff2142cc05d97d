// Garda field reports: the service worker. It keeps the offline pages (the activity report and
// the proposal) and their assets so they open without a connection. What the user saves lives
// in IndexedDB (capture.js), never here. Served by /kegiatan/sw.js; the lists below are filled
// in by the server.
"use strict";

const VERSION = {{ version|safe }};
const SHELL = {{ shell|safe }};
const PAGES = {{ pages|safe }};
const CACHE = "garda-kegiatan-" + VERSION;

async function cachePage(cache, page) {
  // Only a real page: not a login page the server redirected to, nor a refusal (403) for a
  // user whose role does not use it.
  const response = await fetch(page, { credentials: "same-origin" });
  if (response.ok && !response.redirected) await cache.put(page, response);
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then(async (cache) => {
      await cache.addAll(SHELL.filter((url) => !PAGES.includes(url)));
      await Promise.all(PAGES.map((page) => cachePage(cache, page).catch(() => {
        /* offline: next visit */
      })));
      await self.skipWaiting();
    })
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) => Promise.all(
      keys.filter((key) => key.startsWith("garda-kegiatan-") && key !== CACHE)
        .map((key) => caches.delete(key))
    )).then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (PAGES.includes(url.pathname) && request.mode === "navigate") {
    // Network first, so a fresh page (and CSRF token) when online; the kept copy offline.
    event.respondWith(
      fetch(request).then((response) => {
        if (response.ok && !response.redirected && !url.search) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
        }
        return response;
      }).catch(() => caches.match(url.pathname).then((kept) => kept || Response.error()))
    );
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((kept) => kept || fetch(request)));
  }
});
