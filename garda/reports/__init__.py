"""Report builders shared by every app: spreadsheets (`xlsx`) now, PDF letters later.

Not a Django app: no models, nothing to install. Apps import the helpers they need.
"""
