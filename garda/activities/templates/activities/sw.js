// Garda field reports: the service worker. It keeps the capture page and its assets so the
// page opens without a connection. Reports themselves live in IndexedDB (capture.js), never
// here. Served by /kegiatan/sw.js; the asset list below is filled in by the server.
"use strict";

const VERSION = {{ version|safe }};
const SHELL = {{ shell|safe }};
const CAPTURE = {{ capture|safe }};
const CACHE = "garda-kegiatan-" + VERSION;

async function cacheCapturePage(cache) {
  // Only a real capture page: not a login page the server redirected to.
  const response = await fetch(CAPTURE, { credentials: "same-origin" });
  if (response.ok && !response.redirected) await cache.put(CAPTURE, response);
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then(async (cache) => {
      await cache.addAll(SHELL.filter((url) => url !== CAPTURE));
      try { await cacheCapturePage(cache); } catch (error) { /* offline: next visit */ }
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
  if (url.pathname === CAPTURE && request.mode === "navigate") {
    // Network first, so a fresh page (and CSRF token) when online; the kept copy offline.
    event.respondWith(
      fetch(request).then((response) => {
        if (response.ok && !response.redirected && !url.search) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(CAPTURE, copy));
        }
        return response;
      }).catch(() => caches.match(CAPTURE).then((kept) => kept || Response.error()))
    );
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((kept) => kept || fetch(request)));
  }
});
