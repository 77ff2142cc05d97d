// Garda's offline pages on the phone: the activity report and the proposal (usulan). Each form
// saves what the user typed, with its photos made smaller on the phone, into one queue on the
// phone (IndexedDB), and the queue is sent when there is a connection: by itself when the
// connection returns or the server answers again, or with "Kirim sekarang".
//
// Every record carries a UUID made here; the server's write is idempotent on it, so sending
// twice (a retry, a double tap, a lost answer, a server restarted mid-sync) never makes two.
// Files are sent in chunks; after a broken connection the upload resumes where the server says
// it stopped. A report changed on the server meanwhile comes back as a conflict: both versions
// are shown and the user chooses. A record or file the server refuses stays visible with the
// server's reason, to be corrected or removed: nothing leaves the queue silently.
"use strict";

(() => {
  const box = document.getElementById("queue");
  const forms = Array.from(document.querySelectorAll("form[data-queue]"));
  if (!box || !forms.length || !window.indexedDB) return; // no queue: the forms post normally

  const T = box.dataset; // addresses and translated texts (data-*, data-t-*)
  const ZERO = "00000000-0000-0000-0000-000000000000";
  const CHUNK = 256 * 1024;
  const MAX_SIDE = 1600;
  const QUALITY = 0.8;
  const RETRY_FIRST = 1000; // ms after a failed sync; doubled each time, up to RETRY_MAX
  const RETRY_MAX = 5 * 60 * 1000;
  const NOT_DATA = new Set(["csrfmiddlewaretoken", "client_uuid", "action"]);
  const maxPhotos = Number(T.maxPhotos) || 10;
  const user = T.user;

  // What differs between the kinds of record: where the record goes, and where its files go.
  const KINDS = {
    report: {
      record: T.sync,
      body: (item) => ({
        client_uuid: item.uuid, base_version: item.baseVersion, submit: item.submit, data: item.data,
      }),
      file: (item, file) => `${T.photo.replace(ZERO, file.uuid)}?laporan=${item.uuid}`,
    },
    proposal: {
      record: T.syncProposal,
      body: (item) => ({
        client_uuid: item.uuid, base_version: item.baseVersion, kind: item.kind, data: item.data,
      }),
      file: (item, file) =>
        `${T.evidence.replace(ZERO, file.uuid)}?usulan=${item.uuid}&berkas=${encodeURIComponent(file.field)}`,
    },
  };
  const typeOf = (item) => item.type || "report"; // records queued before proposals could be

  // --- IndexedDB: "reports" holds the queued records of every kind, "photos" their files ----

  let dbPromise = null;
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

  const allItems = () => tx(["reports"], "readonly", (t) => req(t.objectStore("reports").getAll()));
  const myItems = async () => (await allItems()).filter((item) => item.user === user);
  const putItem = (item) => tx(["reports"], "readwrite", (t) => { t.objectStore("reports").put(item); });
  const filesOf = (uuid) => tx(["photos"], "readonly",
    (t) => req(t.objectStore("photos").index("report").getAll(uuid)));
  const deleteFile = (uuid) => tx(["photos"], "readwrite", (t) => { t.objectStore("photos").delete(uuid); });

  function saveItem(item, files, replaced) {
    // One transaction: a record is never kept without its files, nor the other way round.
    return tx(["reports", "photos"], "readwrite", (t) => {
      t.objectStore("reports").put(item);
      replaced.forEach((uuid) => t.objectStore("photos").delete(uuid));
      files.forEach((file) => t.objectStore("photos").put(file));
    });
  }

  function removeItem(uuid) {
    return filesOf(uuid).then((files) => tx(["reports", "photos"], "readwrite", (t) => {
      t.objectStore("reports").delete(uuid);
      files.forEach((file) => t.objectStore("photos").delete(file.uuid));
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

  // A chosen file as it will be queued: a photo made smaller; a PDF scan, or a HEIC photo the
  // phone cannot draw (the server converts it), as it is. Null if it cannot be read.
  async function prepare(file) {
    if (file.type === "application/pdf" || /\.pdf$/i.test(file.name)) {
      return { blob: file.slice(0, file.size, file.type), note: "PDF" };
    }
    try {
      return { blob: await shrink(file), note: "" };
    } catch (error) {
      if (/hei[cf]/i.test(file.type) || /\.hei[cf]$/i.test(file.name)) {
        return { blob: file.slice(0, file.size, file.type), note: T.tHeic };
      }
      return null;
    }
  }

  function addLine(list, text) {
    const item = document.createElement("li");
    item.textContent = text;
    list.appendChild(item);
    return item;
  }

  function fileList(input) {
    let list = input.parentElement.querySelector("ul.file-list");
    if (!list) {
      list = document.createElement("ul");
      list.className = "muted file-list";
      input.after(list);
    }
    return list;
  }

  const chosen = new Map(); // file input -> promise of [{ blob, name }]

  async function choose(input) {
    const list = fileList(input);
    list.textContent = "";
    const files = Array.from(input.files);
    const limit = input.multiple ? maxPhotos : 1;
    if (files.length > limit && input.multiple) addLine(list, T.tPhotosMax);
    const picked = [];
    for (const file of files.slice(0, limit)) {
      const ready = await prepare(file);
      if (!ready) {
        addLine(list, `${file.name}: ${T.tUnreadable}`);
        continue;
      }
      picked.push({ blob: ready.blob, name: file.name });
      const size = `${file.name}: ${Math.round(ready.blob.size / 1024)} KB`;
      addLine(list, ready.note ? `${size} · ${ready.note}` : size);
    }
    return picked;
  }

  document.addEventListener("change", (event) => {
    const input = event.target;
    if (input.matches("form[data-queue] input[type=file]")) chosen.set(input, choose(input));
  });

  function locate(form) {
    const state = form.querySelector("[data-gps-state]");
    const say = (text) => { if (state) state.textContent = text; };
    if (!navigator.geolocation) { say(T.tGpsNone); return; }
    say(T.tGpsWait);
    navigator.geolocation.getCurrentPosition((position) => {
      const c = position.coords;
      form.elements.latitude.value = c.latitude.toFixed(6);
      form.elements.longitude.value = c.longitude.toFixed(6);
      if (form.elements.accuracy_m) form.elements.accuracy_m.value = Math.round(c.accuracy);
      say(`${c.latitude.toFixed(6)}, ${c.longitude.toFixed(6)} (± ${Math.round(c.accuracy)} m)`);
    }, () => say(T.tGpsNone), { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 });
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("form[data-queue] [data-gps]");
    if (button) locate(button.closest("form"));
  });

  // --- the forms ----------------------------------------------------------------------------

  // A report offers its social case for case handling, or when one is already chosen.
  const report = forms.find((form) => form.dataset.queue === "report");
  const caseField = document.getElementById("case-field");
  function showCase() {
    if (!report || !caseField) return;
    caseField.hidden = report.elements.jenis.value !== caseField.dataset.kind
      && !report.elements.case.value;
  }
  if (report && caseField) report.elements.jenis.addEventListener("change", showCase);

  // The proposal page holds one form per kind of proposal; the user picks which.
  const kindChoice = document.getElementById("proposal-kind");
  function showKind(kind) {
    if (!kindChoice) return;
    kindChoice.value = kind;
    forms.filter((form) => form.dataset.queue === "proposal")
      .forEach((form) => { form.hidden = form.dataset.kind !== kind; });
  }
  if (kindChoice) {
    kindChoice.closest("[hidden]")?.removeAttribute("hidden");
    kindChoice.addEventListener("change", () => showKind(kindChoice.value));
    showKind(kindChoice.value);
  }

  function localNow() {
    const d = new Date();
    d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
    return d.toISOString().slice(0, 16);
  }

  function freshForm(form) {
    form.elements.client_uuid.value = newUuid();
    if (form.elements.occurred_at) form.elements.occurred_at.value = localNow();
    showCase();
  }

  // The form's fields as the server's form reads them ("" is nothing; listed names are lists).
  function collect(form) {
    const lists = (form.dataset.lists || "").split(" ").filter(Boolean);
    const fields = new FormData(form);
    const data = {};
    for (const [name, value] of fields) {
      if (value instanceof File || NOT_DATA.has(name) || lists.includes(name)) continue;
      data[name] = value === "" ? null : String(value);
    }
    lists.filter((name) => form.elements[name]).forEach((name) => {
      data[name] = fields.getAll(name).map(String);
    });
    return data;
  }

  function titleOf(form) {
    const field = form.elements[form.dataset.titleField || ""];
    return field && field.selectedOptions ? field.selectedOptions[0].text : form.dataset.title || "";
  }

  const editing = new Map(); // form -> the queued record it is correcting

  function notice(form, text) {
    form.querySelector("[data-editing]")?.remove();
    if (!text) return;
    const line = document.createElement("p");
    line.className = "message warning";
    line.dataset.editing = "";
    line.textContent = text;
    form.prepend(line);
  }

  function fill(form, data) {
    for (const [name, value] of Object.entries(data)) {
      const field = form.elements[name];
      if (!field || Array.isArray(value) || field instanceof RadioNodeList) continue;
      field.value = value === null ? "" : value;
    }
  }

  function formFor(item) {
    return forms.find((form) => form.dataset.queue === typeOf(item)
      && (!item.kind || form.dataset.kind === item.kind));
  }

  function startEditing(item) {
    const form = formFor(item);
    if (!form) { // the other offline page holds this kind of form
      const page = typeOf(item) === "proposal" ? T.pageProposal : T.pageReport;
      window.location.assign(`${page}#ubah=${item.uuid}`);
      return;
    }
    if (item.kind) showKind(item.kind);
    form.reset();
    fill(form, item.data);
    editing.set(form, item);
    notice(form, T.tEditing);
    showCase();
    form.scrollIntoView();
  }

  async function editFromAddress() {
    const match = /^#ubah=([0-9a-f-]{36})$/.exec(window.location.hash);
    if (!match) return;
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    const item = (await myItems()).find((queued) => queued.uuid === match[1]);
    if (item) startEditing(item);
  }

  async function queuedFiles(form, uuid) {
    const files = [];
    for (const input of form.querySelectorAll("input[type=file]")) {
      for (const { blob, name } of await (chosen.get(input) || [])) {
        files.push({ uuid: newUuid(), report: uuid, blob, size: blob.size, name, field: input.name });
      }
    }
    return files;
  }

  forms.forEach((form) => form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    const type = form.dataset.queue;
    const before = editing.get(form);
    const uuid = before ? before.uuid : String(form.elements.client_uuid.value || newUuid());
    const action = event.submitter ? event.submitter.value : "submit";
    const item = {
      sent: false,
      baseVersion: null,
      ...before,
      uuid,
      user,
      type,
      kind: form.dataset.kind || null,
      title: titleOf(form),
      data: { ...(before ? before.data : {}), ...collect(form) },
      submit: type === "report" && action === "submit",
      state: "waiting",
      savedAt: Date.now(),
    };
    delete item.message;
    delete item.conflict;
    const files = await queuedFiles(form, uuid);
    // Correcting a record: a new file for a one-file field (a proposal's evidence) replaces
    // the one queued; a report's new photos are added to those queued.
    const single = new Set(Array.from(form.querySelectorAll("input[type=file]:not([multiple])"),
      (input) => input.name));
    const replaced = before ? (await filesOf(uuid))
      .filter((old) => single.has(old.field) && files.some((file) => file.field === old.field))
      .map((old) => old.uuid) : [];
    await saveItem(item, files, replaced);
    editing.delete(form);
    notice(form, "");
    form.reset();
    form.querySelectorAll("input[type=file]").forEach((input) => chosen.delete(input));
    form.querySelectorAll("ul.file-list").forEach((list) => { list.textContent = ""; });
    freshForm(form);
    setState(T.tSaved);
    await render();
    syncAll();
  }));

  // --- sending ------------------------------------------------------------------------------

  const refusedLogin = (response) => response.type === "opaqueredirect" || response.status === 401;

  async function session() {
    const response = await fetch(T.session, {
      credentials: "same-origin", redirect: "manual", headers: { Accept: "application/json" },
      cache: "no-store",
    });
    if (refusedLogin(response) || response.status === 403) return { login: true };
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  function reasons(body, response) {
    const text = [body.message, ...Object.values(body.errors || {}).flat()].filter(Boolean);
    return text.length ? text.join(" ") : String(response.status);
  }

  async function sendRecord(item, csrf) {
    const kind = KINDS[typeOf(item)];
    const response = await fetch(kind.record, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify(kind.body(item)),
    });
    if (refusedLogin(response)) return "login";
    if (response.status >= 500) throw new Error(String(response.status)); // try again later
    const body = await response.json().catch(() => ({}));
    if (response.status === 200 || response.status === 201) {
      Object.assign(item, { sent: true, baseVersion: body.version, state: "photos", url: body.url });
    } else if (response.status === 409 && body.server) {
      Object.assign(item, { state: "conflict", conflict: body });
    } else {
      Object.assign(item, { state: "refused", message: reasons(body, response), url: body.url || item.url });
    }
    await putItem(item);
    return item.state;
  }

  async function refuseFile(item, file, message) {
    // The server will not take this file (its content, or the record no longer takes files):
    // it leaves the queue, and the record stays with the reason until the user acts.
    Object.assign(item, { state: "refused", message: `${T.tFileRefused} ${file.name || ""} ${message}` });
    await tx(["reports", "photos"], "readwrite", (t) => {
      t.objectStore("reports").put(item);
      t.objectStore("photos").delete(file.uuid);
    });
    return "refused";
  }

  async function answer(response, item, file) {
    if (refusedLogin(response)) return { stop: "login" };
    if (response.status >= 500) throw new Error(String(response.status));
    const body = await response.json().catch(() => ({}));
    if (!response.ok) return { stop: await refuseFile(item, file, reasons(body, response)) };
    return { state: body };
  }

  async function sendFile(item, file, csrf) {
    const url = KINDS[typeOf(item)].file(item, file);
    const first = await answer(
      await fetch(url, { credentials: "same-origin", redirect: "manual", cache: "no-store" }), item, file);
    if (first.stop) return first.stop;
    let state = first.state;
    let offset = state.received;
    while (!state.done) {
      const next = await answer(await fetch(`${url}&offset=${offset}&total=${file.size}`, {
        method: "POST",
        credentials: "same-origin",
        redirect: "manual",
        headers: { "Content-Type": "application/octet-stream", "X-CSRFToken": csrf },
        body: file.blob.slice(offset, offset + CHUNK),
      }), item, file);
      if (next.stop) return next.stop;
      state = next.state;
      offset = state.received;
    }
    await deleteFile(file.uuid);
    return "sent";
  }

  let syncing = false;
  let again = false;
  let failures = 0;
  let timer = null;

  function retryLater() {
    // The server did not answer (a dropped connection, a server restarting): try again by
    // itself, less often the longer it lasts.
    window.clearTimeout(timer);
    timer = window.setTimeout(syncAll, Math.min(RETRY_MAX, RETRY_FIRST * 2 ** failures));
    failures += 1;
  }

  async function sendItem(item, csrf) {
    if (item.state === "waiting") {
      const outcome = await sendRecord(item, csrf);
      if (outcome !== "photos") return outcome;
    }
    for (const file of await filesOf(item.uuid)) {
      const sent = await sendFile(item, file, csrf);
      if (sent !== "sent") return sent;
    }
    await removeItem(item.uuid);
    return "sent";
  }

  async function syncAll() {
    if (syncing) { again = true; return; }
    syncing = true;
    again = false;
    window.clearTimeout(timer);
    try {
      const pending = (await myItems()).filter((i) => i.state === "waiting" || i.state === "photos");
      if (!pending.length) return;
      if (!navigator.onLine) { setState(T.tOffline); return; } // the "online" event sends
      const who = await session();
      if (who.login) { setState(T.tLogin); return; }
      for (const item of pending) {
        if (await sendItem(item, who.csrf) === "login") { setState(T.tLogin); return; }
      }
      failures = 0;
      setState((await myItems()).length ? "" : T.tSent);
    } catch (error) {
      // No answer: everything stays queued, and is sent again later.
      setState(navigator.onLine ? T.tRetry : T.tOffline);
      if (navigator.onLine) retryLater();
    } finally {
      syncing = false;
      await render();
      if (again) syncAll();
    }
  }

  // --- showing the queue --------------------------------------------------------------------

  function setState(text) { document.getElementById("queue-state").textContent = text || ""; }

  function describeValues(values) {
    // One line per version of a record in conflict: a report's or a proposal's own fields.
    const parts = "jenis" in values
      ? [values.jenis, (values.occurred_at || "").replace("T", " ").slice(0, 16), (values.description || "").slice(0, 80)]
      : [values.subject, values.program, (values.justification || "").slice(0, 80)];
    return [...parts, values.status].filter(Boolean).join(" · ");
  }

  function describe(item) {
    const d = item.data || {};
    if (typeOf(item) === "proposal") {
      return [item.title, d.name, (d.justification || "").slice(0, 80)].filter(Boolean).join(" · ");
    }
    const when = (d.occurred_at || "").replace("T", " ").slice(0, 16);
    return [item.title || d.jenis, when, (d.description || "").slice(0, 80)]
      .filter(Boolean).join(" · ");
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

  async function render() {
    const items = await myItems();
    box.hidden = false;
    document.getElementById("queue-count").textContent = String(items.length);
    const list = document.getElementById("queue-list");
    list.textContent = "";
    for (const item of items) {
      const line = document.createElement("li");
      Object.assign(line.dataset, { uuid: item.uuid, state: item.state, type: typeOf(item) });
      line.textContent = describe(item);
      const details = document.createElement("ul");
      const buttons = [];
      if (item.state === "conflict") {
        addLine(details, T.tConflict);
        addLine(details, `${T.tServer}: ${describeValues(item.conflict.server)}`);
        addLine(details, `${T.tMine}: ${describeValues(item.conflict.yours)}`);
        buttons.push(button(T.tKeepServer, "keep-server", item.uuid));
        buttons.push(button(T.tKeepMine, "keep-mine", item.uuid));
      } else if (item.state === "refused") {
        addLine(details, `${T.tRefused} ${item.message || ""}`);
        buttons.push(button(T.tEdit, "edit", item.uuid));
        buttons.push(button(T.tRemove, "remove", item.uuid));
      }
      if (item.url && buttons.length) {
        const link = document.createElement("a");
        link.href = item.url;
        link.textContent = T.tOpen;
        addLine(details, "").appendChild(link);
      }
      if (details.childElementCount) line.appendChild(details);
      buttons.forEach((b) => line.appendChild(b));
      list.appendChild(line);
    }
  }

  document.getElementById("queue-list").addEventListener("click", async (event) => {
    const target = event.target.closest("button[data-action]");
    if (!target) return;
    const item = (await myItems()).find((queued) => queued.uuid === target.dataset.uuid);
    if (!item) return;
    const action = target.dataset.action;
    if (action === "edit") {
      startEditing(item);
      return;
    }
    if (action === "keep-server") {
      // The server's version stays; this phone's photos still go to that report.
      Object.assign(item, { sent: true, state: "photos", baseVersion: item.conflict.server.version });
      delete item.conflict;
      await putItem(item);
    } else if (action === "keep-mine") {
      // A deliberate choice: send again on top of the version the user has now seen.
      Object.assign(item, { state: "waiting", baseVersion: item.conflict.server.version });
      delete item.conflict;
      await putItem(item);
    } else if (action === "remove") {
      await removeItem(item.uuid);
      editing.forEach((edited, form) => {
        if (edited.uuid === item.uuid) { editing.delete(form); notice(form, ""); }
      });
    }
    await render();
    syncAll();
  });

  const sendNow = () => { failures = 0; syncAll(); };
  document.getElementById("send-now").addEventListener("click", sendNow);
  window.addEventListener("online", sendNow);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") syncAll();
  });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(T.sw, { scope: T.scope }).catch(() => {});
  }
  forms.forEach(freshForm);
  render().then(editFromAddress).then(syncAll);
})();
