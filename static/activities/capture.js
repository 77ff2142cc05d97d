// Garda field reports on the phone: the capture form saves each report, with its photos made
// smaller, into a queue on the phone (IndexedDB), and the queue is sent when there is a
// connection: automatically when it returns, or with "Kirim sekarang".
//
// Every report carries a UUID made here; the server's write is idempotent on it, so sending
// twice (a retry, a double tap, a lost answer) never makes two reports. Photos are sent in
// chunks; after a broken connection the upload resumes where the server says it stopped.
// A report changed on the server meanwhile comes back as a conflict: both versions are shown
// and the user chooses; nothing is overwritten silently.
"use strict";

(() => {
  const box = document.getElementById("queue");
  const form = document.getElementById("capture-form");
  if (!box || !form || !window.indexedDB) return; // no queue: the form posts normally

  const T = box.dataset; // translated texts (data-t-*)
  const CHUNK = 256 * 1024;
  const MAX_SIDE = 1600;
  const QUALITY = 0.8;
  const maxPhotos = 10;
  const user = box.dataset.user;
  let syncing = false;
  let dbPromise = null;

  // --- IndexedDB -------------------------------------------------------------------------

  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const open = indexedDB.open("garda-kegiatan", 1);
        open.onupgradeneeded = () => {
          const d = open.result;
          d.createObjectStore("reports", { keyPath: "uuid" });
          d.createObjectStore("photos", { keyPath: "uuid" }).createIndex("report", "report");
        };
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
    }
    return dbPromise;
  }

  function tx(stores, mode, work) {
    return db().then((d) => new Promise((resolve, reject) => {
      const t = d.transaction(stores, mode);
      let result;
      Promise.resolve(work(t)).then((value) => { result = value; });
      t.oncomplete = () => resolve(result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    }));
  }

  const req = (r) => new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });

  const allReports = () => tx(["reports"], "readonly", (t) => req(t.objectStore("reports").getAll()));
  const putReport = (report) => tx(["reports"], "readwrite", (t) => { t.objectStore("reports").put(report); });
  const photosOf = (uuid) => tx(["photos"], "readonly",
    (t) => req(t.objectStore("photos").index("report").getAll(uuid)));
  const deletePhoto = (uuid) => tx(["photos"], "readwrite", (t) => { t.objectStore("photos").delete(uuid); });

  function saveReport(report, photos) {
    // One transaction: a report is never kept without its photos, nor the other way round.
    return tx(["reports", "photos"], "readwrite", (t) => {
      t.objectStore("reports").put(report);
      photos.forEach((photo) => t.objectStore("photos").put(photo));
    });
  }

  function removeReport(uuid) {
    return photosOf(uuid).then((photos) => tx(["reports", "photos"], "readwrite", (t) => {
      t.objectStore("reports").delete(uuid);
      photos.forEach((photo) => t.objectStore("photos").delete(photo.uuid));
    }));
  }

  // --- ids, photos, location ----------------------------------------------------------------

  function newUuid() {
    if (window.crypto.randomUUID) return window.crypto.randomUUID();
    const b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // The original's EXIF block (time and GPS of the photo), with its orientation set to
  // "upright": the canvas has already turned the picture. Null if there is none.
  function exifSegment(bytes) {
    if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
    let at = 2;
    while (at + 4 < bytes.length && bytes[at] === 0xff) {
      const marker = bytes[at + 1];
      const length = (bytes[at + 2] << 8) | bytes[at + 3];
      if (marker === 0xe1 && String.fromCharCode(...bytes.slice(at + 4, at + 8)) === "Exif") {
        const segment = bytes.slice(at, at + 2 + length);
        uprightOrientation(segment);
        return segment;
      }
      if (marker === 0xda) break; // image data: no EXIF before it
      at += 2 + length;
    }
    return null;
  }

  function uprightOrientation(segment) {
    const tiff = 10; // FF E1, length (2), "Exif\0\0"
    const little = segment[tiff] === 0x49;
    const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
    const u16 = (p) => view.getUint16(p, little);
    const u32 = (p) => view.getUint32(p, little);
    try {
      const ifd = tiff + u32(tiff + 4);
      const count = u16(ifd);
      for (let i = 0; i < count; i += 1) {
        const entry = ifd + 2 + i * 12;
        if (u16(entry) === 0x0112) view.setUint16(entry + 8, 1, little);
      }
    } catch (error) { /* a damaged block: the server ignores what it cannot read */ }
  }

  async function shrink(file) {
    const bitmap = await createImageBitmap(file); // throws for formats the phone cannot draw (HEIC)
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
    const exif = exifSegment(new Uint8Array(await file.slice(0, 128 * 1024).arrayBuffer()));
    if (!exif) return blob;
    const jpeg = new Uint8Array(await blob.arrayBuffer());
    return new Blob([jpeg.slice(0, 2), exif, jpeg.slice(2)], { type: "image/jpeg" });
  }

  const photoInput = document.getElementById("photos");
  const photoList = document.getElementById("photo-list");
  let chosen = [];

  photoInput.addEventListener("change", async () => {
    chosen = [];
    photoList.textContent = "";
    const files = Array.from(photoInput.files).slice(0, maxPhotos);
    if (photoInput.files.length > maxPhotos) addLine(photoList, T.tPhotosMax);
    for (const file of files) {
      try {
        const blob = await shrink(file);
        chosen.push(blob);
        addLine(photoList, `${file.name}: ${Math.round(blob.size / 1024)} KB`);
      } catch (error) {
        if (/hei[cf]/i.test(file.type) || /\.hei[cf]$/i.test(file.name)) {
          // The phone cannot draw HEIC; the server converts it. Sent as it is, in chunks.
          chosen.push(file.slice(0, file.size, file.type));
          addLine(photoList, `${file.name}: ${Math.round(file.size / 1024)} KB · ${T.tHeic}`);
        } else {
          addLine(photoList, `${file.name}: ${T.tUnreadable}`);
        }
      }
    }
  });

  function addLine(list, text) {
    const item = document.createElement("li");
    item.textContent = text;
    list.appendChild(item);
  }

  const gpsState = document.getElementById("gps-state");
  function locate() {
    if (!navigator.geolocation) return;
    gpsState.textContent = T.tGpsWait;
    navigator.geolocation.getCurrentPosition((position) => {
      const c = position.coords;
      form.elements.latitude.value = c.latitude.toFixed(6);
      form.elements.longitude.value = c.longitude.toFixed(6);
      form.elements.accuracy_m.value = Math.round(c.accuracy);
      gpsState.textContent = `${c.latitude.toFixed(6)}, ${c.longitude.toFixed(6)} (± ${Math.round(c.accuracy)} m)`;
    }, () => { gpsState.textContent = T.tGpsNone; },
    { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }
  document.getElementById("gps").addEventListener("click", locate);

  // The case a report is about: offered for case handling, or when one is already chosen.
  const caseField = document.getElementById("case-field");
  function showCase() {
    caseField.hidden = form.elements.jenis.value !== caseField.dataset.kind && !form.elements.case.value;
  }
  form.elements.jenis.addEventListener("change", showCase);

  function localNow() {
    const d = new Date();
    d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
    return d.toISOString().slice(0, 16);
  }

  function freshForm() {
    form.elements.client_uuid.value = newUuid();
    form.elements.occurred_at.value = localNow();
    showCase();
  }

  // --- saving a report into the queue ------------------------------------------------------

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    const action = event.submitter ? event.submitter.value : "submit";
    const fields = new FormData(form);
    const data = {};
    for (const name of ["jenis", "occurred_at", "wilayah", "description", "participants",
      "program", "case", "latitude", "longitude", "accuracy_m"]) {
      const value = fields.get(name);
      data[name] = value === null || value === "" ? null : String(value);
    }
    data.households = fields.getAll("households").map(String);
    data.individuals = fields.getAll("individuals").map(String);
    const uuid = String(fields.get("client_uuid")) || newUuid();
    const report = {
      uuid, user, data, submit: action === "submit", baseVersion: null, sent: false,
      state: "waiting", savedAt: Date.now(),
    };
    const photos = chosen.map((blob) => ({ uuid: newUuid(), report: uuid, blob, size: blob.size }));
    await saveReport(report, photos);
    form.reset();
    chosen = [];
    photoList.textContent = "";
    freshForm();
    setState(T.tSaved);
    await render();
    syncAll();
  });

  // --- sending ------------------------------------------------------------------------------

  async function session() {
    const response = await fetch(box.dataset.session, {
      credentials: "same-origin", redirect: "manual", headers: { Accept: "application/json" },
      cache: "no-store",
    });
    if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
      return { login: true };
    }
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  async function sendReport(report, csrf) {
    const response = await fetch(box.dataset.sync, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify({
        client_uuid: report.uuid, base_version: report.baseVersion, submit: report.submit,
        data: report.data,
      }),
    });
    if (response.type === "opaqueredirect" || response.status === 401) return "login";
    const body = await response.json().catch(() => ({}));
    if (response.status === 200 || response.status === 201) {
      report.sent = true;
      report.baseVersion = body.version;
      report.state = "photos";
      report.url = body.url;
    } else if (response.status === 409 && body.server) {
      report.state = "conflict";
      report.conflict = body;
    } else if (response.status >= 500) {
      throw new Error(String(response.status)); // try again later
    } else {
      report.state = "refused";
      report.message = [body.message, ...Object.values(body.errors || {}).flat()]
        .filter(Boolean).join(" ");
    }
    await putReport(report);
    return report.state;
  }

  async function sendPhoto(report, photo, csrf) {
    const url = box.dataset.photo.replace("00000000-0000-0000-0000-000000000000", photo.uuid)
      + "?laporan=" + encodeURIComponent(report.uuid);
    const status = await fetch(url, { credentials: "same-origin", redirect: "manual", cache: "no-store" });
    if (!status.ok) throw new Error(String(status.status));
    let state = await status.json();
    let offset = state.done ? photo.size : state.received;
    while (!state.done) {
      const chunk = photo.blob.slice(offset, offset + CHUNK);
      const response = await fetch(`${url}&offset=${offset}&total=${photo.size}`, {
        method: "POST",
        credentials: "same-origin",
        redirect: "manual",
        headers: { "Content-Type": "application/octet-stream", "X-CSRFToken": csrf },
        body: chunk,
      });
      if (response.status === 400) {
        const body = await response.json().catch(() => ({}));
        report.state = "refused";
        report.message = body.message || "";
        await putReport(report);
        return false;
      }
      if (!response.ok) throw new Error(String(response.status));
      state = await response.json();
      offset = state.received;
    }
    await deletePhoto(photo.uuid);
    return true;
  }

  async function syncAll() {
    if (syncing) return;
    syncing = true;
    try {
      const reports = (await allReports()).filter((r) => r.user === user);
      const pending = reports.filter((r) => r.state === "waiting" || r.state === "photos");
      if (!pending.length) return;
      if (!navigator.onLine) { setState(T.tOffline); return; }
      const who = await session();
      if (who.login) { setState(T.tLogin); return; }
      for (const report of pending) {
        if (!report.sent) {
          const outcome = await sendReport(report, who.csrf);
          if (outcome === "login") { setState(T.tLogin); return; }
          if (outcome !== "photos") continue;
        }
        let complete = true;
        for (const photo of await photosOf(report.uuid)) {
          if (!(await sendPhoto(report, photo, who.csrf))) { complete = false; break; }
        }
        if (complete) await removeReport(report.uuid);
      }
      setState((await allReports()).some((r) => r.user === user) ? "" : T.tSent);
    } catch (error) {
      setState(T.tOffline); // the connection broke: everything stays queued
    } finally {
      syncing = false;
      render();
    }
  }

  // --- showing the queue --------------------------------------------------------------------

  function setState(text) { document.getElementById("queue-state").textContent = text || ""; }

  function describe(values) {
    const when = (values.occurred_at || "").replace("T", " ").slice(0, 16);
    return `${values.jenis || ""} · ${when} · ${(values.description || "").slice(0, 80)}` +
      (values.status ? ` · ${values.status}` : "");
  }

  async function render() {
    const reports = (await allReports()).filter((r) => r.user === user);
    box.hidden = false;
    document.getElementById("queue-count").textContent = String(reports.length);
    const list = document.getElementById("queue-list");
    list.textContent = "";
    for (const report of reports) {
      const item = document.createElement("li");
      item.dataset.uuid = report.uuid;
      item.dataset.state = report.state;
      item.textContent = describe(report.data);
      const details = document.createElement("ul");
      if (report.state === "conflict") {
        addLine(details, T.tConflict);
        addLine(details, `${T.tServer}: ${describe(report.conflict.server)}`);
        addLine(details, `${T.tMine}: ${describe(report.conflict.yours)}`);
        item.appendChild(details);
        item.appendChild(button(T.tKeepServer, "keep-server", report.uuid));
        item.appendChild(button(T.tKeepMine, "keep-mine", report.uuid));
      } else if (report.state === "refused") {
        addLine(details, `${T.tRefused} ${report.message || ""}`);
        item.appendChild(details);
        item.appendChild(button(T.tRemove, "remove", report.uuid));
      }
      list.appendChild(item);
    }
  }

  function button(text, action, uuid) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "secondary small";
    b.textContent = text;
    b.dataset.action = action;
    b.dataset.uuid = uuid;
    return b;
  }

  document.getElementById("queue-list").addEventListener("click", async (event) => {
    const target = event.target.closest("button[data-action]");
    if (!target) return;
    const report = (await allReports()).find((r) => r.uuid === target.dataset.uuid);
    if (!report) return;
    if (target.dataset.action === "keep-server") {
      // The server's version stays; this phone's photos still go to that report.
      report.sent = true;
      report.state = "photos";
      report.baseVersion = report.conflict.server.version;
      delete report.conflict;
      await putReport(report);
    } else if (target.dataset.action === "keep-mine") {
      // A deliberate choice: send again on top of the version the user has now seen.
      report.baseVersion = report.conflict.server.version;
      report.state = "waiting";
      delete report.conflict;
      await putReport(report);
    } else if (target.dataset.action === "remove") {
      await removeReport(report.uuid);
    }
    await render();
    syncAll();
  });

  document.getElementById("send-now").addEventListener("click", syncAll);
  window.addEventListener("online", syncAll);

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(box.dataset.sw, { scope: box.dataset.scope }).catch(() => {});
  }
  freshForm();
  render().then(syncAll);
})();
