"""duplicates"""

urlpatterns: list = []
