from django.utils.translation import gettext as _
from rest_framework import pagination

from api.problems import InvalidParameters


class PageNumberPagination(pagination.PageNumberPagination):
    """?page=2&page_size=100: every list comes in pages, of 50 unless asked (at most 200)."""

    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        # DRF falls back to the default page size on a page_size that is not a whole number
        # above 0: the API says so instead, as for any parameter.
        asked = request.query_params.get(self.page_size_query_param)
        if asked is not None and not (asked.isdecimal() and int(asked) > 0):
            raise InvalidParameters({self.page_size_query_param: [_("A whole number above 0.")]})
        return super().get_page_size(request)
