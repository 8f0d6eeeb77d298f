from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    """?page=2&page_size=100: every list comes in pages, of 50 unless asked (at most 200)."""

    page_size_query_param = "page_size"
    max_page_size = 200
