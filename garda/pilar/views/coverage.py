"""coverage"""

urlpatterns: list = []
