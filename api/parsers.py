"""DRF's JSON parser turns ValueError into a 400 but lets a RecursionError (JSON nested ~1000 deep)
escape as a 500; this one answers 400 parse_error for both."""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError("JSON parse error - the document is nested too deeply.") from error
