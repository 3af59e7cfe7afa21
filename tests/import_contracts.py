"""A contract type import-linter does not ship: an area's views and blueprint are its own.

`area_private`: each area's `routes*` modules and its package module (where the blueprint is
made) may be imported only by the area's own modules and by the app factory, and no view module
imports another view module (shared logic lives in services, queries or pages helpers). Other
areas reach an area through its services and queries, never through its views. (import-linter's module
expressions cannot match `routes_*`, hence this small contract; see .importlinter.)
"""
from importlinter import Contract, ContractCheck, fields, output


def is_view(module):
    return module.rsplit(".", 1)[-1].startswith("routes")


class AreaPrivateContract(Contract):
    type_name = "area_private"
    areas = fields.ListField(subfield=fields.StringField())
    factory = fields.StringField()

    def check(self, graph, verbose):
        broken = []
        for area in self.areas:
            views = {m for m in graph.find_children(area) if is_view(m)}
            for module in sorted(views | {area, f"{area}.blueprint"} & set(graph.modules)):
                for importer in graph.find_modules_that_directly_import(module):
                    own = importer in (self.factory, area) or importer.startswith(area + ".")
                    view_to_view = is_view(module) and is_view(importer)
                    if own and not view_to_view:
                        continue
                    broken.append(f"{importer} imports {module}")
        return ContractCheck(kept=not broken, metadata={"broken": sorted(broken)})

    def render_broken_contract(self, check):
        for line in check.metadata["broken"]:
            output.print_error(line)
            output.new_line()
