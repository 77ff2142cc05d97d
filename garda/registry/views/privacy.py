"""privacy"""

urlpatterns: list = []
