"""Browser journeys: Garda driven by Playwright through Debian's Chromium, on a phone screen."""
