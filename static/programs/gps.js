// "Use my position" for forms with latitude/longitude fields: fills them from the phone's GPS.
// Loaded as a file (the CSP allows no inline scripts); the button text comes from the page.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const latitude = document.getElementById("id_latitude");
  const longitude = document.getElementById("id_longitude");
  const button = document.querySelector("[data-gps-fill]");
  if (!latitude || !longitude || !button || !("geolocation" in navigator)) return;
  button.hidden = false;
  button.addEventListener("click", () => {
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (position) => {
        latitude.value = position.coords.latitude.toFixed(6);
        longitude.value = position.coords.longitude.toFixed(6);
        button.disabled = false;
      },
      () => {
        button.disabled = false;
        button.textContent = button.dataset.gpsFailed || button.textContent;
      },
      { enableHighAccuracy: true, timeout: 20000 },
    );
  });
});
