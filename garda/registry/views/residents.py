"""residents"""

urlpatterns: list = []
