from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    """`?limit=` (default 50, at most 200) and `?offset=`; answers carry count, next, previous."""

    default_limit = 50
    max_limit = 200
