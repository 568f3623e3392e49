//! (being built)

use platform::http::Routes;

pub fn routes(routes: Routes) -> Routes {
    routes
}
